// SPDX-License-Identifier: GPL-2.0
/*
 * Bulwark runtime agent: exec detection and in-kernel enforcement.
 *
 * handle_exec runs on every successful execve (sched_process_exec) and
 * sends one exec_event per exec through a ring buffer. Wakeups are batched:
 * most records are committed with BPF_RB_NO_WAKEUP and user space polls on a
 * short interval, because a wakeup per event roughly triples the per-exec
 * cost. For cgroups user space marked in enforce_cgroups with ENFORCE_KILL,
 * an exec whose file is not in allowed is killed with SIGKILL: the last
 * resort when neither BPF LSM nor fanotify permission events are available.
 *
 * lsm_bprm_check is the preferred mechanism: it fails the execve with
 * -EPERM before the new image runs. It is loaded separately and only when
 * the kernel accepts BPF LSM programs.
 *
 * Regenerate the Go bindings with scripts/gen-bpf.sh after editing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define TASK_COMM_LEN 16
#define FILENAME_LEN 256
#define EPERM 1
#define SIGKILL 9

#define FLAG_KILLED 1
#define FLAG_FILENAME_TRUNCATED 2

#define ENFORCE_KILL 1
#define ENFORCE_LSM 2

struct exec_event {
	__u64 time_ns;
	__u64 cgroup_id;
	__u64 ino;
	__u32 dev;
	__u32 pid;
	__u32 ppid;
	__u32 flags;
	__u8 comm[TASK_COMM_LEN];
	__u8 pcomm[TASK_COMM_LEN];
	__u8 filename[FILENAME_LEN];
};

/* Keeps struct exec_event in BTF so bpf2go emits its Go twin. */
const struct exec_event *unused_exec_event __attribute__((unused));

struct allow_key {
	__u64 cgroup_id;
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

/* Wake the reader once this many bytes are pending; below that, the
 * reader's poll interval delivers them. Set by the loader. */
volatile const __u64 wakeup_bytes = 64 * sizeof(struct exec_event);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);
} events SEC(".maps");

/* [0] ring buffer reservations that failed (events lost),
 * [1] execs killed by handle_exec. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} enforce_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct allow_key);
	__type(value, __u8);
} allowed SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* denied reports whether the exec of file in cgroup cg must be stopped
 * by the given mechanism. */
static __always_inline bool denied(__u64 cg, __u32 dev, __u64 ino, __u32 mech)
{
	__u32 *mode = bpf_map_lookup_elem(&enforce_cgroups, &cg);
	if (!mode || *mode != mech)
		return false;
	struct allow_key k = { .cgroup_id = cg, .ino = ino, .dev = dev };
	return bpf_map_lookup_elem(&allowed, &k) == NULL;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	__u32 dev = BPF_CORE_READ(inode, i_sb, s_dev);
	__u32 flags = 0;

	if (denied(cg, dev, ino, ENFORCE_KILL)) {
		bpf_send_signal(SIGKILL);
		flags |= FLAG_KILLED;
		count(1);
	}

	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(0);
		return 0;
	}
	e->time_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = cg;
	e->ino = ino;
	e->dev = dev;
	e->pid = BPF_CORE_READ(p, tgid);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&e->comm, p, comm);
	BPF_CORE_READ_STR_INTO(&e->pcomm, p, real_parent, comm);
	long n = bpf_probe_read_kernel_str(&e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	if (n == FILENAME_LEN)
		flags |= FLAG_FILENAME_TRUNCATED;
	e->flags = flags;

	__u64 wake = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		wake = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, wake);
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	__u64 cg = bpf_get_current_cgroup_id();
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
	if (denied(cg, BPF_CORE_READ(inode, i_sb, s_dev), BPF_CORE_READ(inode, i_ino), ENFORCE_LSM))
		return -EPERM;
	return 0;
}
