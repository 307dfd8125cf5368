#!/usr/bin/env bash
# Usage: late-reader.sh <command> [arguments…]
#
# Runs the command with its stdout on a pipe whose reader, like `jq` while it starts, reads nothing for
# a while: from the first byte on, it waits until the command has exited or 2 s have passed, and only
# then reads. Meanwhile the pipe's buffer (64 KiB on Linux) is all the command can write. A command
# that exits before its output is flushed loses the rest; one that waits for its output is read whole.
# Prints what the reader got and exits with the command's exit code.
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/pipe"
"$@" >"$dir/pipe" &
command_pid=$!
exec 3<"$dir/pipe"
until read -r -t 0 -u 3; do
  kill -0 "$command_pid" 2>/dev/null || break
  sleep 0.05
done
for _ in $(seq 40); do
  kill -0 "$command_pid" 2>/dev/null || break
  sleep 0.05
done
cat <&3
wait "$command_pid"
