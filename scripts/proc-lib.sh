# Helpers the benchmark scripts share: a free loopback port, and a process's memory and
# processor time from /proc. Sourced, not run.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

status_kb() { # field pid -> the field of /proc/<pid>/status, in kB (VmRSS, VmHWM)
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"
}

cpu_ticks() { # pid -> utime + stime (fields 14 and 15 of /proc/<pid>/stat)
    # The command name (field 2) may contain spaces: cut after the closing parenthesis.
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    # Now field 1 is the state (original field 3): utime is field 12, stime field 13.
    awk '{ print $12 + $13 }' <<<"$stat"
}
