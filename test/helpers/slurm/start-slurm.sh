#!/usr/bin/env bash
# Source: /work/shared/notes/slurm/start-slurm.sh (the recipe in the shared notes on Slurm), adapted: no install here (the test skips
# with a message when the packages are missing), ports and the cluster folder come from the caller.
set -euo pipefail
SLURM_DIR="${SLURM_DIR:?set SLURM_DIR to an empty scratch folder}"
CTLD_PORT="${SLURM_CTLD_PORT:-6817}"
SLURMD_PORT="${SLURM_SLURMD_PORT:-6818}"
command -v slurmctld >/dev/null || { echo "slurmctld is not installed: apt-get install -y slurmctld slurmd slurm-client munge" >&2; exit 3; }
mkdir -p "$SLURM_DIR"/{state,spool,log,run}
CPUS="$(nproc)"
cat > "$SLURM_DIR/slurm.conf" <<CONF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SLURM_DIR/log/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
KillWait=5
MpiDefault=none
SwitchType=switch/none
NodeName=localhost CPUs=$CPUS RealMemory=1000 State=UNKNOWN
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
JobRequeue=1
PartitionName=low Nodes=localhost Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE GraceTime=5
PartitionName=high Nodes=localhost MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
CONF
export SLURM_CONF="$SLURM_DIR/slurm.conf"
[ -s /etc/munge/munge.key ] || { mungekey --create --force; chown munge:munge /etc/munge/munge.key; }
mkdir -p /run/munge && chown munge:munge /run/munge
munge -n >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged   # start munged unless a working one answers
/usr/sbin/slurmctld ${SLURM_CTLD_ARGS:-}   # SLURM_CTLD_ARGS=-c discards old state
/usr/sbin/slurmd -N localhost
for i in $(seq 1 30); do
  sinfo -h -o '%T' 2>/dev/null | grep -q -E '^(idle|mixed|allocated)' && { echo "slurm up after ${i}s"; exit 0; }
  sleep 1
done
echo "slurm did not come up" >&2; tail -20 "$SLURM_DIR"/log/*.log >&2; exit 1
