#!/bin/bash
# Stop what up.sh started, by the PIDs it recorded: cinder, keystone, database, broker; unmount the bind mount.
LAB=${LAB:-/tmp/backup-topology-cinder}
stop() {  # stop NAME [seconds]
  local f="$LAB/run/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 "${2:-30}"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$f"
}
rm -f "$LAB/run/up"
for svc in api scheduler volume backup; do stop "cinder-$svc" 40 & done; wait
stop keystone 20
stop mariadbd 30
if [ -f "$LAB/run/rabbitmq.pid" ]; then
  HOME="$LAB/rabbitmq" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n rabbit@localhost stop 2>/dev/null
  stop rabbitmq 30
fi
stop epmd 5
for m in "$LAB"/mnt/*; do grep -q " $m " /proc/mounts && umount "$m"; done
exit 0
