"""The schedules of OCI's Oracle-defined backup policies (gold, silver, bronze), as OCI documents them."""

from __future__ import annotations

from components.config import Schedule

# Oracle-defined policies run at midnight in the region's data-center time.
_YEARLY_FULL = Schedule(
    backup_type="full", period="year", retention_days=5 * 365, month="january", day_of_month=1, time_zone="regional"
)
_MONTHLY = Schedule(backup_type="incremental", period="month", retention_days=365, day_of_month=1, time_zone="regional")
_WEEKLY = Schedule(
    backup_type="incremental", period="week", retention_days=28, day_of_week="sunday", time_zone="regional"
)
_DAILY = Schedule(backup_type="incremental", period="day", retention_days=7, time_zone="regional")

# Policy-Based Backups, "Oracle Defined Backup Policies": bronze = monthly incremental (12 months) + yearly
# full (5 years); silver adds weekly incremental on Sunday (4 weeks); gold adds daily incremental (7 days).
ORACLE_POLICIES: dict[str, tuple[Schedule, ...]] = {
    "bronze": (_MONTHLY, _YEARLY_FULL),
    "silver": (_WEEKLY, _MONTHLY, _YEARLY_FULL),
    "gold": (_DAILY, _WEEKLY, _MONTHLY, _YEARLY_FULL),
}
