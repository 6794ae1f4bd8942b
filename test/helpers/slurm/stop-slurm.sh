#!/usr/bin/env bash
# Source: /work/shared/notes/slurm/stop-slurm.sh (the recipe in the shared notes on Slurm), adapted: no install here (the test skips
# with a message when the packages are missing), ports and the cluster folder come from the caller.
SLURM_DIR="${SLURM_DIR:?set SLURM_DIR}"; export SLURM_CONF="$SLURM_DIR/slurm.conf"
scontrol shutdown 2>/dev/null || true   # stops slurmctld and slurmd (running job steps keep going under slurmstepd)
# Wait for both daemons to go (their pid files name them), so the next cluster can bind the ports.
for f in "$SLURM_DIR"/run/slurmctld.pid "$SLURM_DIR"/run/slurmd.pid; do
  [ -s "$f" ] || continue
  pid="$(cat "$f")"
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
done
