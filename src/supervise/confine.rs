//! Confining a check before it runs: Landlock (it may write only where it is allowed to, and
//! may not signal or trace processes outside its sandbox), no capabilities even when asynclings
//! runs as root, no new privileges through exec, and an address-space limit.
//!
//! [`Confinement::prepare`] runs in the supervisor (it opens files and allocates);
//! [`Confinement::apply`] runs in the forked child between fork and exec, so it makes raw
//! system calls only, the one kind of work that is safe there.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use landlock::{
    ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetError, Scope,
    path_beneath_rules,
};

use super::report::Sandboxing;

/// The newest Landlock ABI whose rules we ask for: 6 adds scoped signals and abstract unix
/// sockets. The landlock crate degrades to what the running kernel supports.
const TARGET_ABI: ABI = ABI::V6;
/// `LANDLOCK_CREATE_RULESET_VERSION`: asks the kernel for its Landlock ABI version.
const CREATE_RULESET_VERSION: libc::c_uint = 1;
/// `_LINUX_CAPABILITY_VERSION_3` for capset(2).
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// Higher than any capability number the kernel knows (40 in Linux 6.x).
const CAPABILITY_COUNT: libc::c_ulong = 64;

pub struct Confinement {
    landlock: Option<OwnedFd>,
    pub sandboxing: Sandboxing,
    address_space: libc::rlim_t,
    supervisor: libc::pid_t,
}

impl Confinement {
    /// A sandbox in which only `writable` (folders, or single files such as `/dev/null`) can be
    /// written, and no process may map more than `address_space` bytes.
    pub fn prepare(writable: &[PathBuf], address_space: u64) -> Self {
        let (landlock, sandboxing) = match landlock_ruleset(writable) {
            Ok(Some(fd)) => (Some(fd), Sandboxing::Landlock(kernel_abi())),
            Ok(None) => (
                None,
                Sandboxing::Unavailable(
                    "this kernel has no Landlock (Linux 5.13 or later, with Landlock enabled)"
                        .into(),
                ),
            ),
            Err(error) => (
                None,
                Sandboxing::Unavailable(format!("Landlock refused the rules: {error}")),
            ),
        };
        Self {
            landlock,
            sandboxing,
            address_space: address_space as libc::rlim_t,
            // SAFETY: getpid has no preconditions.
            supervisor: unsafe { libc::getpid() },
        }
    }

    /// Confines the calling process. Call only between fork and exec: it uses raw system calls
    /// and no allocation, and it fails if the supervisor has already died.
    pub fn apply(&self) -> io::Result<()> {
        // SAFETY: each call below is a plain system call on values owned by this function or
        // by `self`; none allocates or takes a lock.
        unsafe {
            // The supervisor blocks the signals it waits for; the test starts with none blocked.
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            // If the supervisor dies, so does the test (and it may already be gone).
            check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0))?;
            if libc::getppid() != self.supervisor {
                // The supervisor ended before the test started (no allocation here).
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            let limit = libc::rlimit {
                rlim_cur: self.address_space,
                rlim_max: self.address_space,
            };
            check(libc::setrlimit(libc::RLIMIT_AS, &limit))?;
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            check(libc::setrlimit(libc::RLIMIT_CORE, &no_core))?;
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            if let Some(ruleset) = &self.landlock {
                let restricted = libc::syscall(
                    libc::SYS_landlock_restrict_self,
                    ruleset.as_raw_fd(),
                    0 as libc::c_uint,
                );
                if restricted != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            drop_capabilities()
        }
    }
}

/// A Landlock ruleset that handles every kind of write and allows it beneath `writable` only;
/// `None` when the kernel has no Landlock.
fn landlock_ruleset(writable: &[PathBuf]) -> Result<Option<OwnedFd>, RulesetError> {
    let created = Ruleset::default()
        .handle_access(AccessFs::from_write(TARGET_ABI))?
        .scope(Scope::from_all(TARGET_ABI))?
        .create()?
        .add_rules(path_beneath_rules(
            writable,
            AccessFs::from_write(TARGET_ABI),
        ))?;
    Ok(created.into())
}

/// The running kernel's Landlock ABI version (0 without Landlock).
pub(super) fn kernel_abi() -> u32 {
    // SAFETY: landlock_create_ruleset with a null attribute and the VERSION flag only returns
    // a number.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(version).unwrap_or(0)
}

/// Empties the capability bounding set (so an exec cannot grant any back, even to root) and
/// the process's own capability sets. Without CAP_SETPCAP (not root) the bounding set cannot
/// change, but then there is nothing to drop either.
///
/// # Safety
/// Only raw system calls; safe between fork and exec.
unsafe fn drop_capabilities() -> io::Result<()> {
    for capability in 0..CAPABILITY_COUNT {
        // SAFETY: prctl with integer arguments.
        unsafe {
            libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0);
        }
    }
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let header = Header {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let none = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset reads the two structs above, laid out as the kernel expects.
    check(unsafe { libc::syscall(libc::SYS_capset, &header, none.as_ptr()) } as libc::c_int)
}

fn check(result: libc::c_int) -> io::Result<()> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    #[test]
    fn a_confined_process_writes_only_where_it_may() {
        if kernel_abi() == 0 {
            // Nothing to prove on a kernel without Landlock (asynclings says so at start).
            return;
        }
        let allowed = tempfile::tempdir().unwrap();
        let forbidden = tempfile::tempdir().unwrap();
        let confinement = Confinement::prepare(&[allowed.path().to_owned()], 8 << 30);
        assert!(matches!(confinement.sandboxing, Sandboxing::Landlock(abi) if abi >= 1));
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                "echo a > \"$1/kept\"; echo b > \"$2/written\"; : > \"$1/done\"",
                "sh",
            ])
            .arg(allowed.path())
            .arg(forbidden.path());
        // SAFETY: `apply` makes raw system calls only.
        unsafe { command.pre_exec(move || confinement.apply()) };
        command.status().unwrap();
        assert!(allowed.path().join("kept").is_file());
        assert!(allowed.path().join("done").is_file());
        assert!(!forbidden.path().join("written").exists());
    }
}
