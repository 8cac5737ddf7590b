//! The manifest hashing path against the hashing limit, in one run.
//!
//! ```text
//! cargo bench --bench hashing [-- --mib N] [-- --reps N]
//! ```
//! Builds a model under the target directory (4 large files of `--mib`/4 MiB each, default 256 MiB in
//! all, plus 1,000 files of 4 KiB), reads it once so that every run hashes from the page cache, then
//! times, `--reps` times each (default 5, alternating), `manifest::build_manifest` (walk + SHA-256,
//! one resource per file: what `hubsign sign` does before signing) and the limit: plain `sha2` over
//! the same files, one thread per core, files dealt out largest-first to the least loaded thread.
//! Prints both throughputs and their time ratio (target <= 1.15, as `benches/compare.py` sets for
//! `sign`); a measurement, not a test, so it exits 0 whatever the ratio.
#![expect(clippy::print_stdout, reason = "a benchmark prints its report")]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hubsign::manifest::{HashAlgorithm, Serialization, WalkOptions, build_manifest};
use sha2::{Digest as _, Sha256};

const LARGE_FILES: u64 = 4;
const SMALL_FILES: u64 = 1_000;
const SMALL_SIZE: usize = 4 * 1024;
const MIB: u64 = 1 << 20;
const TARGET_RATIO: f64 = 1.15;

struct Options {
    mib: u64,
    reps: usize,
}

/// `--mib N` and `--reps N`; anything else (`cargo bench` passes `--bench`) is ignored.
fn options() -> Options {
    let mut options = Options { mib: 256, reps: 5 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.windows(2) {
        match (pair[0].as_str(), pair[1].parse::<u64>()) {
            ("--mib", Ok(n)) if n >= LARGE_FILES => options.mib = n,
            ("--reps", Ok(n)) if n >= 1 => options.reps = usize::try_from(n).unwrap_or(1),
            _ => {}
        }
    }
    options
}

/// Deterministic, incompressible-enough bytes (xorshift64), so that no layer can shortcut them.
fn fill(buf: &mut [u8], mut state: u64) {
    for chunk in buf.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
}

/// The model's files (path, size), written once and kept between runs of the bench.
fn build_model(root: &Path, mib: u64) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let large = mib / LARGE_FILES * MIB;
    // Outside the model, so that it is not hashed.
    let marker = root.with_extension(format!("{mib}-mib.complete"));
    let mut files = Vec::new();
    let complete = marker.exists();
    if !complete {
        let _ = fs_err::remove_dir_all(root);
    }
    let mut buf = vec![0u8; 8 * 1024 * 1024];
    for i in 0..LARGE_FILES {
        let path = root.join(format!("large-{i}.bin"));
        if !complete {
            fs_err::create_dir_all(root)?;
            let mut file = fs_err::File::create(&path)?;
            let mut left = large;
            while left > 0 {
                let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                fill(&mut buf[..n], left ^ (i + 1));
                file.write_all(&buf[..n])?;
                left -= n as u64;
            }
        }
        files.push((path, large));
    }
    for i in 0..SMALL_FILES {
        let path = root.join(format!("small/d{}/f{i}.bin", i % 20));
        if !complete {
            fs_err::create_dir_all(root.join(format!("small/d{}", i % 20)))?;
            fill(&mut buf[..SMALL_SIZE], i + 100);
            fs_err::write(&path, &buf[..SMALL_SIZE])?;
        }
        files.push((path, SMALL_SIZE as u64));
    }
    if !complete {
        fs_err::write(&marker, b"")?;
    }
    Ok(files)
}

/// Hashes every file with plain `sha2`, one thread per core, balanced by bytes.
fn sha2_limit(files: &[(PathBuf, u64)], threads: usize) -> std::io::Result<()> {
    let mut sorted: Vec<&(PathBuf, u64)> = files.iter().collect();
    sorted.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    let mut bins: Vec<(u64, Vec<&Path>)> = vec![(0, Vec::new()); threads];
    for (path, size) in sorted {
        if let Some(bin) = bins.iter_mut().min_by_key(|(bytes, _)| *bytes) {
            bin.0 += size;
            bin.1.push(path);
        }
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = bins
            .iter()
            .map(|(_, paths)| {
                scope.spawn(move || -> std::io::Result<()> {
                    // 128 KiB reads, as the manifest hasher makes (larger copies from the page
                    // cache fall out of L2 and cost more system time).
                    let mut buf = vec![0u8; 128 << 10];
                    for path in paths {
                        let mut file = fs_err::File::open(path)?;
                        let mut hasher = Sha256::new();
                        loop {
                            let n = file.read(&mut buf)?;
                            if n == 0 {
                                break;
                            }
                            hasher.update(&buf[..n]);
                        }
                        std::hint::black_box(hasher.finalize());
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a hashing thread panicked")))
        })
    })
}

fn median(runs: &mut [Duration]) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options();
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-hashing");
    let files = build_model(&root, options.mib)?;
    let bytes: u64 = files.iter().map(|(_, size)| size).sum();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);

    // Warm the page cache: both contestants hash from memory.
    sha2_limit(&files, threads)?;

    let mut manifest_runs = Vec::new();
    let mut limit_runs = Vec::new();
    for _ in 0..options.reps {
        let started = Instant::now();
        let manifest = build_manifest(
            &root,
            &WalkOptions::default(),
            Serialization::Files,
            HashAlgorithm::Sha256,
        )?;
        manifest_runs.push(started.elapsed());
        assert_eq!(manifest.resources.len(), files.len(), "one resource per file");

        let started = Instant::now();
        sha2_limit(&files, threads)?;
        limit_runs.push(started.elapsed());
    }
    let manifest = median(&mut manifest_runs);
    let limit = median(&mut limit_runs);
    // In kB, exact in an f64 (a u32 of them is 4 TB).
    let kb = f64::from(u32::try_from(bytes / 1000).unwrap_or(u32::MAX));
    let mb_per_s = |d: Duration| kb / 1e3 / d.as_secs_f64();
    let ratio = manifest.as_secs_f64() / limit.as_secs_f64();

    println!(
        "hashing benchmark: {LARGE_FILES} x {} MiB + {SMALL_FILES} x {} KiB ({} MiB), {threads} threads, \
         page cache warm, median of {}",
        options.mib / LARGE_FILES,
        SMALL_SIZE / 1024,
        bytes / MIB,
        options.reps,
    );
    println!(
        "{:<48} {:>8.3} s  {:>7.0} MB/s",
        "manifest::build_manifest (walk + sha256, files)",
        manifest.as_secs_f64(),
        mb_per_s(manifest)
    );
    println!(
        "{:<48} {:>8.3} s  {:>7.0} MB/s",
        format!("hashing limit (sha2, {threads} threads)"),
        limit.as_secs_f64(),
        mb_per_s(limit)
    );
    println!(
        "manifest / limit (time): {ratio:.3} (target <= {TARGET_RATIO}) {}",
        if ratio <= TARGET_RATIO { "PASS" } else { "FAIL" }
    );
    Ok(())
}
