//! Scan files for the ingest tests, in the scanning task's layout.

use std::path::{Path, PathBuf};

use lake_synth::{write_scan, ScanSpec};

/// A Prowler scan of `account` with `findings` findings (generated from `seed`), written
/// under `root` at `2026-W21/<run>/<account>/json-ocsf/`, scanned on 2026-05-18.
pub fn scan_file(root: &Path, run: &str, account: &str, findings: usize, seed: u64) -> PathBuf {
    let dir = root
        .join("2026-W21")
        .join(run)
        .join(account)
        .join("json-ocsf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("prowler-output-{account}-20260518020000.ocsf.json"));
    let spec = ScanSpec::new(seed, account, findings);
    write_scan(&spec, &mut std::fs::File::create(&path).unwrap()).unwrap();
    path
}
