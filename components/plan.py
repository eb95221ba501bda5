"""The offline plan's command, `python -m components.plan` (the plan itself: components/tooling/plan.py)."""

from components.tooling.plan import run_cli

if __name__ == "__main__":
    run_cli()
