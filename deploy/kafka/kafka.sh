#!/usr/bin/env bash
# A local single-node Apache Kafka broker for development: KRaft mode (no ZooKeeper), no Docker.
# The broker jars come from Maven Central through the repository's ./mvnw (deploy/kafka/pom.xml).
#
#   deploy/kafka/kafka.sh [start] [-d|--daemon]   start (foreground unless -d)
#   deploy/kafka/kafka.sh stop | status
#
# Environment: KAFKA_DATA_DIR (default ${TWIN_DATA_DIR:-./data}/kafka), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP_OPTS (-Xmx512m), JAVA_HOME (else java from PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$here/target/lib"
data_dir="${KAFKA_DATA_DIR:-${TWIN_DATA_DIR:-./data}/kafka}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
pid_file="$data_dir/kafka.pid"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

usage() { echo "usage: $0 [start [-d|--daemon] | stop | status]"; }

# True when the pid file names a live broker. On Linux the command line is checked too, so a
# stale pid file whose number was reused by another process is not mistaken for the broker.
running() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || grep -qa 'kafka\.Kafka' "/proc/$pid/cmdline"
}

port_open() { (exec 3<>"/dev/tcp/localhost/$port") 2>/dev/null; }

start() {
  local daemon=$1
  if running; then echo "Kafka already running (pid $(cat "$pid_file"))"; return 0; fi
  if port_open; then echo "localhost:$port is already in use by another process" >&2; return 1; fi
  if ! compgen -G "$lib/kafka_2.13-*.jar" >/dev/null; then
    echo "Resolving the Kafka jars with ./mvnw (first run only)..."
    "$here/../../mvnw" -q -B -f "$here/pom.xml" package
  fi
  mkdir -p "$data_dir"
  data_dir=$(cd "$data_dir" && pwd)   # absolute, the broker must not depend on its working directory
  pid_file="$data_dir/kafka.pid"
  local heap; read -r -a heap <<<"${KAFKA_HEAP_OPTS:--Xmx512m}"
  # The JVM command line shared by the storage tool and the broker; the main class follows.
  local run=("$java" "${heap[@]}" -XX:+UseG1GC -Djava.awt.headless=true
             "-Dlog4j.configuration=file:$data_dir/log4j.properties" -cp "$lib/*")

  # Regenerated at every start so that port changes take effect; the data itself lives in logs/.
  cat >"$data_dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$controller_port
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$controller_port
advertised.listeners=PLAINTEXT://localhost:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data_dir/logs
num.partitions=1
# A single node cannot replicate: the internal topics must accept one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$data_dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.Target=System.err
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF

  # KRaft storage must be formatted once with a cluster id; meta.properties marks a formatted dir.
  if [ ! -f "$data_dir/logs/meta.properties" ]; then
    local cluster_id
    cluster_id=$("${run[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null) || true
    [[ $cluster_id =~ ^[A-Za-z0-9_-]{22}$ ]] || { echo "could not generate a cluster id with $java" >&2; return 1; }
    echo "Formatting $data_dir/logs (cluster id $cluster_id)"
    "${run[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$data_dir/server.properties" \
      >"$data_dir/format.log" 2>&1 || { cat "$data_dir/format.log" >&2; return 1; }
  fi

  local hint="Point the platform at it:  TWIN_KAFKA_BOOTSTRAP=localhost:$port java -jar deploy/target/twin-platform.jar"
  if [ "$daemon" = false ]; then
    echo "Starting Kafka on localhost:$port in the foreground (Ctrl-C stops it). $hint"
    echo $$ >"$pid_file"   # exec keeps this pid, so status/stop work from another terminal
    exec "${run[@]}" kafka.Kafka "$data_dir/server.properties"
  fi
  nohup "${run[@]}" kafka.Kafka "$data_dir/server.properties" </dev/null >"$data_dir/kafka.log" 2>&1 &
  echo $! >"$pid_file"
  echo -n "Starting Kafka on localhost:$port (log: $data_dir/kafka.log) "
  for _ in $(seq 60); do
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then echo " failed, see $data_dir/kafka.log" >&2; return 1; fi
    if port_open; then echo " up."; echo "$hint"; return 0; fi
    echo -n .; sleep 1
  done
  echo " not listening after 60 s, see $data_dir/kafka.log" >&2; return 1
}

stop() {
  if ! running; then echo "Kafka is not running"; rm -f "$pid_file"; return 0; fi
  local pid; pid=$(cat "$pid_file")
  echo -n "Stopping Kafka (pid $pid) "
  kill "$pid"
  # A controlled shutdown takes a few seconds; give it 30 before forcing.
  for _ in $(seq 30); do
    if ! kill -0 "$pid" 2>/dev/null; then echo " stopped."; rm -f "$pid_file"; return 0; fi
    echo -n .; sleep 1
  done
  echo " still running after 30 s, killing it"; kill -9 "$pid" 2>/dev/null || true; rm -f "$pid_file"
}

status() {
  if running; then echo "Kafka is running (pid $(cat "$pid_file"), localhost:$port)"
  else echo "Kafka is stopped"; return 3; fi
}

cmd=start daemon=false
for arg in "$@"; do
  case $arg in
    start|stop|status) cmd=$arg ;;
    -d|--daemon) daemon=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case $cmd in start) start "$daemon" ;; stop) stop ;; status) status ;; esac
