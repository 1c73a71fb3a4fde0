/**
 * The slurm.conf the benchmark (bench/slurm.ts) writes for its private single-node Slurm, in
 * two forms: Slurm's stock scheduler settings, and with the throughput tuning (TUNING).
 */
import { join } from "node:path";

/** What the config depends on: loopback ports, the user the daemons run as, the node's CPUs and memory, the most jobs at once. */
export interface ConfOpts {
  ctldPort: number;
  slurmdPort: number;
  user: string;
  cpus: number;
  memMb: number;
  maxJobs: number;
}

/**
 * The single-node slurm.conf: everything under `dir`, no cgroup, no accounting. `tuned` adds
 * the two settings without which Slurm starts batch jobs only on its background tick (see
 * TUNING below); without it the scheduling settings are Slurm's defaults.
 */
export function slurmConf(dir: string, o: ConfOpts, tuned: boolean): string {
  return [
    "# Written by Strata's bench/slurm.ts: a private single-node Slurm for a side-by-side benchmark.",
    "ClusterName=stratabench",
    "SlurmctldHost=localhost",
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    `SlurmUser=${o.user}`,
    `SlurmdUser=${o.user}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${join(dir, "munge.socket")}`,
    `StateSaveLocation=${join(dir, "state")}`,
    `SlurmdSpoolDir=${join(dir, "spool")}`,
    `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
    `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
    `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
    `SlurmdLogFile=${join(dir, "slurmd.log")}`,
    "SlurmctldDebug=info",
    "SlurmdDebug=info",
    // No cgroup dependency, no accounting: the least Slurm does per task.
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "SwitchType=switch/none",
    "MpiDefault=none",
    // One task per CPU, as many at once as the machine has CPUs.
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "SchedulerType=sched/backfill",
    "SlurmdParameters=config_overrides",
    "ReturnToService=2",
    `MaxArraySize=${Math.max(1001, o.maxJobs + 1)}`,
    `MaxJobCount=${Math.max(10000, o.maxJobs * 3 + 100)}`,
    "InactiveLimit=0",
    "KillWait=5",
    "MessageTimeout=10",
    "SlurmdTimeout=300",
    ...(tuned ? TUNING(dir) : []),
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${o.cpus} RealMemory=${o.memMb} State=UNKNOWN`,
    "PartitionName=bench Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO",
    "",
  ].join("\n");
}

/**
 * Throughput tuning. With Slurm's defaults a finished batch job frees its CPU without waking the
 * scheduler: the next pending job starts on slurmctld's background pass, at most every
 * `batch_sched_delay` (3 s) — a job array of `true` runs at about CPUs/3 tasks/s. Setting
 * `batch_sched_delay=0` lets that pass run every second; a no-op `Epilog` makes slurmd report
 * each job's epilog completion, and that message runs the scheduler at once.
 */
const TUNING = (dir: string) => ["SchedulerParameters=batch_sched_delay=0", `Epilog=${join(dir, "epilog.sh")}`];
/** The throughput tuning, in words, for the figures' notes. */
export const TUNING_NOTE = "SchedulerParameters=batch_sched_delay=0 and a no-op Epilog";
