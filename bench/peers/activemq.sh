#!/usr/bin/env bash
# A private ActiveMQ Classic (Debian's activemq 5.17) for the side-by-side benchmark: its own
# config, data and logs under DIR, one transport only, STOMP over TCP (NIO) on 127.0.0.1, no
# OpenWire, no JMX, no web console (Debian's package has none). Debian's ActiveMQ lacks the
# WebSocket transport (no Jetty), so the benchmark compares it over STOMP/TCP. Not the system
# service (bench/peers/install.sh disables that). The JVM is started directly (no wrapper), so the
# printed PID is the java process itself.
#
#   bench/peers/activemq.sh start DIR   start, wait for a STOMP CONNECTED, print the java PID
#   bench/peers/activemq.sh pid DIR     print that PID (fails when not running)
#   bench/peers/activemq.sh stop DIR    stop it (SIGTERM, SIGKILL after 30 s)
#   bench/peers/activemq.sh restart DIR stop, then start
#
# Environment (defaults in brackets): TASKSET_CPU [unset: not pinned] runs it under
# `taskset -c $TASKSET_CPU`; ACTIVEMQ_STOMP_PORT [61614] (tcp://127.0.0.1:PORT);
# ACTIVEMQ_HEAP [2g], the fixed Java heap (-Xms = -Xmx); PEER_LOGIN / PEER_PASSCODE
# [bench / bench], the STOMP user; ACTIVEMQ_PERSISTENT [0]: 1 stores persistent messages in KahaDB
# under DIR/data (the durable scenario), with its defaults (the journal synced before a receipt).
set -euo pipefail
# shellcheck source=bench/peers/lib.sh
source "$(dirname "$0")/lib.sh"

read_peer_args "$@"

stomp_port=${ACTIVEMQ_STOMP_PORT:-61614}
heap=${ACTIVEMQ_HEAP:-2g}
persistent=false
[[ "${ACTIVEMQ_PERSISTENT:-0}" == 1 ]] && persistent=true
login=${PEER_LOGIN:-bench}
passcode=${PEER_PASSCODE:-bench}
activemq_home=/usr/share/activemq
pid_file=$dir/activemq.pid

case "$action" in
  pid)
    live_pid_from "$pid_file" || die "not running (no live PID in $pid_file)"
    ;;

  stop)
    if java_pid=$(live_pid_from "$pid_file"); then
      stop_pid "$java_pid" 30  # the JVM's shutdown hook stops the broker cleanly
    fi
    rm -f "$pid_file"
    ;;

  start)
    [[ -f $activemq_home/bin/activemq.jar ]] || die "activemq is not installed: run bench/peers/install.sh"
    java=$(command -v java) || die "java is missing (Debian's activemq depends on a JRE)"
    if running=$(live_pid_from "$pid_file"); then
      die "already running as PID $running (stop it first: $0 stop $dir)"
    fi
    require_free_ports "$stomp_port"
    mkdir -p "$dir/conf" "$dir/data" "$dir/tmp"
    rm -f "$pid_file"

    # Non-persistent unless ACTIVEMQ_PERSISTENT=1 (nothing of a chat fan-out needs the disk; the
    # durable scenario does), advisories off, the memory
    # limit well inside the heap; STOMP on NIO (a selector, not a thread per connection), with the
    # heart-beat grace aicc-chat has by default (1.5 times the interval; ActiveMQ's default is 1,
    # which drops clients whose heart-beats arrive a little late under load).
    cat >"$dir/conf/activemq.xml" <<XML
<!-- Written by bench/peers/activemq.sh: a loopback-only broker for the benchmark. -->
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
                           http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="aiccbench" useJmx="false"
          persistent="$persistent" advisorySupport="false" dataDirectory="$dir/data" tmpDataDirectory="$dir/tmp">
    <persistenceAdapter>
      <kahaDB directory="$dir/data/kahadb"/>
    </persistenceAdapter>
    <plugins>
      <simpleAuthenticationPlugin>
        <users>
          <authenticationUser username="$login" password="$passcode" groups="users"/>
        </users>
      </simpleAuthenticationPlugin>
    </plugins>
    <systemUsage>
      <systemUsage>
        <memoryUsage><memoryUsage percentOfJvmHeap="60"/></memoryUsage>
        <tempUsage><tempUsage limit="1 gb"/></tempUsage>
      </systemUsage>
    </systemUsage>
    <transportConnectors>
      <transportConnector name="stomp"
          uri="stomp+nio://127.0.0.1:$stomp_port?maximumConnections=1000000&amp;transport.closeAsync=false&amp;transport.hbGracePeriodMultiplier=1.5&amp;wireFormat.maxFrameSize=1048576&amp;backlog=4096"/>
    </transportConnectors>
  </broker>
</beans>
XML
    cat >"$dir/conf/log4j.properties" <<PROPS
# Written by bench/peers/activemq.sh: warnings and errors only, to DIR/data/activemq.log.
log4j.rootLogger=WARN, logfile
log4j.appender.logfile=org.apache.log4j.FileAppender
log4j.appender.logfile.file=$dir/data/activemq.log
log4j.appender.logfile.layout=org.apache.log4j.PatternLayout
log4j.appender.logfile.layout.ConversionPattern=%d | %-5p | %m | %c | %t%n
PROPS

    prepare_launch
    # The JVM options of Debian's /usr/bin/activemq for Java > 8, with a fixed heap and the
    # shared task runner (Debian's default, a dedicated thread per connection, does not scale).
    setsid "${pin[@]}" "$java" -Xms"$heap" -Xmx"$heap" \
      -Dorg.apache.activemq.UseDedicatedTaskRunner=false \
      -Djava.awt.headless=true -Djava.io.tmpdir="$dir/tmp" \
      --add-reads=java.xml=java.logging \
      --add-opens java.base/java.security=ALL-UNNAMED \
      --add-opens java.base/java.net=ALL-UNNAMED \
      --add-opens java.base/java.lang=ALL-UNNAMED \
      --add-opens java.base/java.util=ALL-UNNAMED \
      --add-opens java.naming/javax.naming.spi=ALL-UNNAMED \
      --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED \
      --add-opens java.base/java.util.concurrent=ALL-UNNAMED \
      --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
      --add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED \
      --add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED \
      --add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED \
      --add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED \
      --add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED \
      -Dactivemq.classpath="$dir/conf" \
      -Dactivemq.home="$activemq_home" \
      -Dactivemq.base="$dir" \
      -Dactivemq.conf="$dir/conf" \
      -Dactivemq.data="$dir/data" \
      -Dlog4j.configuration="file:$dir/conf/log4j.properties" \
      -jar "$activemq_home/bin/activemq.jar" start "xbean:file:$dir/conf/activemq.xml" \
      </dev/null >"$dir/data/stdout.log" 2>&1 &
    java_pid=$!
    echo "$java_pid" >"$pid_file"

    if ! wait_for_stomp 90 "tcp://127.0.0.1:$stomp_port" "$login" "$passcode" "$java_pid"; then
      echo "$(basename "$0"): ActiveMQ did not answer STOMP; last lines of its logs:" >&2
      tail -n 20 "$dir/data/stdout.log" "$dir/data/activemq.log" >&2 2>/dev/null || true
      "$0" stop "$dir" || true
      exit 1
    fi
    echo "$java_pid"
    ;;

  restart)
    restart_began=$(now_seconds)
    "$0" stop "$dir"
    "$0" start "$dir"
    record_restart_seconds "$dir" "$restart_began"
    ;;

  *) usage ;;
esac
