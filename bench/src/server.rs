//! Starts the `confab` server under test on a fresh store and reads its resident memory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub addr: String,
    /// When the process was spawned.
    pub spawned: Instant,
    _dir: tempfile::TempDir,
}

/// Limits raised so the load generator measures throughput, not the abuse limits.
const BENCH_LIMITS: &[&str] = &[
    "--register-rate-per-hour",
    "10000000",
    "--login-rate-per-minute",
    "10000000",
    "--send-rate",
    "1000000",
    "--send-burst",
    "1000000",
    "--max-connections-per-user",
    "100000",
    "--outbound-queue",
    "4096",
    "--max-replay",
    "1000000",
    "--action-rate",
    "1000000",
    "--action-burst",
    "1000000",
    "--room-rate-per-hour",
    "1000000",
    "--max-pending-sockets-per-addr",
    "1000000",
];

impl Server {
    /// Starts the server; `extra` options come last, so they override the bench limits.
    pub fn start(binary: &str, database_url: Option<&str>, extra: &[&str]) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let mut cmd = Command::new(binary);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(["--web-dir", "/nonexistent"])
            .args(BENCH_LIMITS)
            .env("CONFAB_LOG", "warn,confab::startup=info")
            // No default room: every account in one room would add presence traffic the
            // scenarios do not mean to measure (builds without the option ignore it).
            .env("CONFAB_DEFAULT_ROOM", "")
            .env("CONFAB_REGISTRATION", "open")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        cmd.args(extra);
        let spawned = Instant::now();
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on http://") {
                    let rest = &line[i + "listening on http://".len()..];
                    let addr: String =
                        rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(60))?;
        Ok(Server { child, addr, spawned, _dir: dir })
    }

    /// The bytes of the SQLite store on disk (database and write-ahead log).
    pub fn sqlite_bytes(&self) -> u64 {
        ["confab.db", "confab.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(self._dir.path().join(f)).ok())
            .map(|m| m.len())
            .sum()
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// CPU time (user + system) the server used so far, in seconds.
    /// Resets the kernel's record of the process's peak resident memory (`VmHWM`).
    pub fn reset_peak_rss(&self) -> anyhow::Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")?;
        Ok(())
    }

    /// The peak resident memory since start or the last [`Server::reset_peak_rss`], in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        status_kib(self.pid(), "VmHWM:")
    }

    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&format!("/proc/{}/stat", self.pid()))
    }
}

/// Resident set size of a process in KiB, from /proc.
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// A `kB` field of `/proc/<pid>/status` (0 if it cannot be read).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// CPU seconds of a process from its /proc stat file (fields 14 and 15, in clock ticks).
pub fn cpu_seconds(path: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(path) else { return 0.0 };
    let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else { return 0.0 };
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
