#!/bin/bash
# Start a real OpenStack Cinder (api, scheduler, volume, backup) behind a real Keystone, from Debian bookworm's
# packages, on 127.0.0.1, without systemd. Run as root. Everything lives under $LAB; PIDs go to $LAB/run/*.pid
# (down.sh stops them); $LAB/openrc holds the OS_* variables a client uses (plain Keystone password auth).
#   RabbitMQ and MariaDB on loopback; Keystone under uwsgi on :5000; cinder-api on :8776.
#   Volumes: Cinder's NfsDriver on a bind mount (no NFS server, no LVM); backups: the POSIX driver into $LAB/backups.
set -euo pipefail
LAB=${LAB:-/tmp/backup-topology-cinder}
T0=$(date +%s)
log() { echo "[cinder-lab $(( $(date +%s) - T0 ))s] $*"; }
fail() {
  echo "[cinder-lab] $*" >&2
  for f in "$LAB"/logs/*; do
    [ -s "$f" ] || continue
    echo "--- $f (errors, then the last lines)" >&2
    { grep -h -E "ERROR|CRITICAL|Traceback" "$f" | tail -10; tail -8 "$f"; } >&2
  done
  exit 1
}

if [ -f "$LAB/run/up" ] && curl -sf -o /dev/null http://127.0.0.1:5000/v3 && curl -s -o /dev/null http://127.0.0.1:8776/; then
  log "already up"; exit 0
fi

# ---------------------------------------------------------------- packages
PKGS="cinder-api cinder-scheduler cinder-volume cinder-backup keystone uwsgi uwsgi-plugin-python3 rabbitmq-server
      mariadb-server python3-pymysql nfs-common sudo qemu-utils dmidecode curl"
MISSING=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING="$MISSING $p"; done
if [ -n "$MISSING" ]; then
  # no systemd: the packages' maintainer scripts must not start the distribution's services
  POLICY_CREATED=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; POLICY_CREATED=1; fi
  printf '%s\n' "cinder-common cinder/configure_db boolean false" "cinder-api cinder/register-endpoint boolean false" \
    "keystone keystone/configure_db boolean false" "keystone keystone/create-admin-tenant boolean false" \
    "keystone keystone/register-endpoint boolean false" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $MISSING > /tmp/backup-topology-cinder-apt.log 2>&1 \
    || { tail -30 /tmp/backup-topology-cinder-apt.log; exit 1; }
  [ "$POLICY_CREATED" = 1 ] && rm -f /usr/sbin/policy-rc.d
  log "packages installed:$MISSING"
else
  log "packages already installed"
fi

mkdir -p "$LAB"/{etc,run,logs,state,lock,backups,nfs-export,mnt,rabbitmq/mnesia,rabbitmq/log,keystone/fernet-keys,keystone/credential-keys}
# Every service runs from $LAB: whatever one writes into its working directory stays out of the caller's checkout.
cd "$LAB"

# ---------------------------------------------------------------- RabbitMQ (loopback)
# Debian's /usr/sbin wrapper switches user and cookie; the real server with this environment runs as root.
(
  export HOME="$LAB/rabbitmq" RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
         ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$LAB/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LAB/rabbitmq/log" \
         RABBITMQ_CONFIG_FILE="$LAB/rabbitmq/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$LAB/rabbitmq/enabled_plugins" \
         RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
         ERL_CRASH_DUMP="$LAB/logs/erl_crash.dump"
  echo '[].' > "$LAB/rabbitmq/enabled_plugins"
  nohup /usr/bin/epmd -address 127.0.0.1 > "$LAB/logs/epmd.out" 2>&1 &
  echo $! > "$LAB/run/epmd.pid"
  nohup /usr/lib/rabbitmq/bin/rabbitmq-server > "$LAB/logs/rabbitmq.out" 2>&1 &
  echo $! > "$LAB/run/rabbitmq.pid"
  for i in $(seq 1 120); do
    /usr/lib/rabbitmq/bin/rabbitmqctl -q -n rabbit@localhost await_startup >/dev/null 2>&1 && exit 0
    sleep 1
  done
  exit 1
) || fail "rabbitmq did not start"
log "rabbitmq up"

# ---------------------------------------------------------------- MariaDB (loopback)
mkdir -p "$LAB/mysql" "$LAB/mysql-run"; chown mysql:mysql "$LAB/mysql" "$LAB/mysql-run"
SOCK="$LAB/mysql-run/mysqld.sock"
[ -d "$LAB/mysql/mysql" ] || mariadb-install-db --user=mysql --datadir="$LAB/mysql" --skip-test-db \
      --auth-root-authentication-method=socket > "$LAB/logs/mariadb-install-db.out" 2>&1
nohup /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$LAB/mysql" --socket="$SOCK" \
      --pid-file="$LAB/mysql-run/mariadbd.pid" --bind-address=127.0.0.1 --port=3306 --skip-name-resolve \
      --log-error="$LAB/mysql-run/mariadbd.err" --innodb-buffer-pool-size=64M --max-connections=500 \
      > "$LAB/logs/mariadbd.out" 2>&1 &
echo $! > "$LAB/run/mariadbd.pid"
for i in $(seq 1 60); do mariadb-admin --socket="$SOCK" ping >/dev/null 2>&1 && break; sleep 0.5; done
mariadb --socket="$SOCK" -e "
    CREATE DATABASE IF NOT EXISTS cinder; CREATE DATABASE IF NOT EXISTS keystone;
    CREATE USER IF NOT EXISTS 'cinder'@'127.0.0.1' IDENTIFIED BY 'cinder';
    CREATE USER IF NOT EXISTS 'keystone'@'127.0.0.1' IDENTIFIED BY 'keystone';
    GRANT ALL PRIVILEGES ON cinder.* TO 'cinder'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'127.0.0.1';" || fail "mariadb did not start"
log "mariadb up"

# ---------------------------------------------------------------- Keystone (uwsgi, :5000)
K="$LAB/keystone"
cat > "$K/keystone.conf" <<CONF
[DEFAULT]
log_file = $LAB/logs/keystone.log
[database]
connection = mysql+pymysql://keystone:keystone@127.0.0.1:3306/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $K/fernet-keys
[fernet_receipts]
key_repository = $K/fernet-keys
[credential]
key_repository = $K/credential-keys
CONF
KM="keystone-manage --config-file $K/keystone.conf"
$KM db_sync > "$LAB/logs/keystone-db-sync.out" 2>&1 || fail "keystone db_sync failed"
$KM fernet_setup --keystone-user root --keystone-group root > /dev/null 2>&1
$KM credential_setup --keystone-user root --keystone-group root > /dev/null 2>&1
$KM bootstrap --bootstrap-password admin --bootstrap-username admin --bootstrap-project-name admin \
   --bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
   --bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
   --bootstrap-public-url http://127.0.0.1:5000/v3/ > "$LAB/logs/keystone-bootstrap.out" 2>&1 || fail "keystone bootstrap failed"
nohup uwsgi --plugin python3 --http-socket 127.0.0.1:5000 --add-header "Connection: close" \
      --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 2 --threads 2 --die-on-term --lazy-apps \
      --env OS_KEYSTONE_CONFIG_DIR="$K" --env OS_KEYSTONE_CONFIG_FILES=keystone.conf \
      > "$LAB/logs/keystone-uwsgi.out" 2>&1 &
echo $! > "$LAB/run/keystone.pid"
for i in $(seq 1 60); do curl -sf -o /dev/null http://127.0.0.1:5000/v3 && break; sleep 0.5; done
curl -sf -o /dev/null http://127.0.0.1:5000/v3 || fail "keystone did not answer"
log "keystone up"

cat > "$LAB/openrc" <<RC
export OS_AUTH_URL=http://127.0.0.1:5000/v3
export OS_USERNAME=admin
export OS_PASSWORD=admin
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
RC
# shellcheck disable=SC1091
. "$LAB/openrc"
/usr/bin/python3 - > "$LAB/logs/keystone-register.out" 2>&1 <<'PY' || fail "registering cinder in keystone failed"
import openstack
c = openstack.connect()
idn = c.identity
project = idn.find_project("service") or idn.create_project(name="service", domain_id="default")
user = idn.find_user("cinder") or idn.create_user(name="cinder", password="cinder", domain_id="default")
idn.assign_project_role_to_user(project, user, idn.find_role("admin"))
service = idn.find_service("cinderv3") or idn.create_service(name="cinderv3", type="block-storage")
if not list(idn.endpoints(service_id=service.id)):
    for interface in ("public", "internal", "admin"):
        idn.create_endpoint(service_id=service.id, interface=interface, region_id="RegionOne",
                            url="http://127.0.0.1:8776/v3/%(project_id)s")
PY
log "cinder registered in keystone"

# ---------------------------------------------------------------- Cinder
SHARE="127.0.0.1:$LAB/nfs-export"
echo "$SHARE" > "$LAB/etc/nfs_shares"
# oslo.config takes no inline comments: keep every value alone on its line.
cat > "$LAB/etc/cinder.conf" <<CONF
[DEFAULT]
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:5672/
state_path = $LAB/state
log_dir = $LAB/logs
debug = true
my_ip = 127.0.0.1
host = cinderlab
rootwrap_config = /etc/cinder/rootwrap.conf
api_paste_config = /etc/cinder/api-paste.ini
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = 8776
osapi_volume_workers = 1
graceful_shutdown_timeout = 5
report_interval = 5
service_down_time = 20
enabled_backends = nfs1
glance_api_servers = http://127.0.0.1:9292
backup_driver = cinder.backup.drivers.posix.PosixBackupDriver
backup_posix_path = $LAB/backups
backup_compression_algorithm = none

[database]
connection = mysql+pymysql://cinder:cinder@127.0.0.1:3306/cinder?charset=utf8

[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:5000
auth_url = http://127.0.0.1:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = cinder
password = cinder
region_name = RegionOne

[oslo_concurrency]
lock_path = $LAB/lock

[oslo_messaging_notifications]
driver = noop

[nfs1]
volume_driver = cinder.volume.drivers.nfs.NfsDriver
volume_backend_name = nfs1
nfs_shares_config = $LAB/etc/nfs_shares
nfs_mount_point_base = $LAB/mnt
nfs_snapshot_support = true
nfs_sparsed_volumes = true
nas_secure_file_operations = false
nas_secure_file_permissions = false
CONF
# os-brick skips "mount -t nfs" when <nfs_mount_point_base>/<md5(share)> is already a mount point:
# a bind mount of a local directory stands in for the NFS export.
MNT="$LAB/mnt/$(printf '%s' "$SHARE" | md5sum | cut -d' ' -f1)"
mkdir -p "$MNT"
grep -q " $MNT " /proc/mounts || mount --bind "$LAB/nfs-export" "$MNT"
cinder-manage --config-file "$LAB/etc/cinder.conf" db sync > "$LAB/logs/cinder-db-sync.out" 2>&1 || fail "cinder db sync failed"
for svc in api scheduler volume backup; do
  nohup /usr/bin/cinder-$svc --config-file "$LAB/etc/cinder.conf" > "$LAB/logs/cinder-$svc.out" 2>&1 &
  echo $! > "$LAB/run/cinder-$svc.pid"
done
for i in $(seq 1 120); do
  for svc in api scheduler volume backup; do
    kill -0 "$(cat "$LAB/run/cinder-$svc.pid")" 2>/dev/null || fail "cinder-$svc died"
  done
  UP=$(/usr/bin/python3 - 2>/dev/null <<'PY' || echo 0
import openstack
c = openstack.connect()
services = c.block_storage.get("/os-services").json()["services"]
up = {s["binary"] for s in services if s["state"] == "up"}
print(len(up & {"cinder-scheduler", "cinder-volume", "cinder-backup"}))
PY
)
  [ "${UP:-0}" -ge 3 ] && break
  sleep 1
done
[ "${UP:-0}" -ge 3 ] || fail "cinder services did not come up"
log "cinder services up; waiting until a volume can be created"

# "up" in os-services comes before cinder-volume has reported its capacity to the scheduler; until then a new
# volume fails with NoValidBackend. The lab is ready when a probe volume becomes available (and is deleted again).
/usr/bin/python3 - > "$LAB/logs/probe-volume.out" 2>&1 <<'PY' || fail "no volume could be created: $(tail -3 "$LAB/logs/probe-volume.out")"
import sys
import time

import openstack

bs = openstack.connect().block_storage
deadline = time.monotonic() + 180
attempt = 0
while True:
    attempt += 1
    volume = bs.create_volume(size=1, name=f"lab-probe-{attempt}")
    while volume.status not in ("available", "error"):
        time.sleep(0.5)
        volume = bs.get_volume(volume)
    status = volume.status
    bs.delete_volume(volume, ignore_missing=True)
    bs.wait_for_delete(volume, interval=0.5, wait=120)
    if status == "available":
        print(f"probe volume available after {attempt} attempt(s)")
        sys.exit(0)
    if time.monotonic() > deadline:
        print(f"probe volume still ends in error after {attempt} attempts")
        sys.exit(1)
    time.sleep(2)
PY
touch "$LAB/run/up"
log "cinder up: api, scheduler, volume, backup behind keystone; volumes can be created"
