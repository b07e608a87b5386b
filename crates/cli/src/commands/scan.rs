//! scan: every vault value (each version, as written, base64- or
//! URL-encoded; core's `scan`) looked for in files, in what is staged for
//! commit, or in every blob of a git repository's history. Findings name the
//! place, the secret and its version, never the value; exit 1 when any.

use std::{
    fs::{self, File},
    io::{BufRead, BufReader, Read, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context as _, Result, bail};
use keyhaven_core::{
    scan::{Finding, Needles, Scanner},
    vault::Access,
};

use super::Context;
use crate::exit::{ALREADY_EXISTS, FAILURE, Failure};
use crate::output::{note, say};

pub struct ScanArgs {
    /// Files and directories; with `git` or `staged`, at most one: the repository.
    pub paths: Vec<PathBuf>,
    pub git: bool,
    pub all_history: bool,
    pub staged: bool,
}

/// The pre-commit hook `--install-hook` writes.
const HOOK: &str = "#!/bin/sh
# Written by `keyhaven scan --install-hook`: refuses a commit that carries a
# value from your Keyhaven vault. To commit anyway, once: git commit --no-verify
exec keyhaven scan --staged
";

pub fn scan(ctx: &mut Context, args: &ScanArgs) -> Result<()> {
    let mut vault = ctx.unlocked()?;
    let values = vault.reveal_every_version(Access::Scan)?;
    // Each remote's own API key too: never to be committed either.
    let keys = vault
        .remotes()?
        .into_iter()
        .map(|remote| Ok((remote.config.name.clone(), vault.remote_token(&remote.config.name)?)))
        .collect::<keyhaven_core::Result<Vec<_>>>()?;
    let needles = Needles::with_remote_keys(&values, &keys);
    drop(keys);
    drop(values);
    if !needles.too_short.is_empty() {
        let names: Vec<&str> = needles.too_short.iter().map(|name| name.as_str()).collect();
        note!("warning: not looked for (shorter than 8 characters): {}", names.join(", "));
    }
    // A bad path is a usage problem (4 or 6), never the 1 that means "found".
    if let Some(missing) = args.paths.iter().find(|path| fs::symlink_metadata(path).is_err()) {
        let message = format!("cannot scan {}: there is no such file or directory", missing.display());
        return Err(Failure(crate::exit::NOT_FOUND, message).into());
    }
    let mut report = Report::default();
    if args.staged || args.git {
        let dir = match &args.paths[..] {
            [] => Path::new("."),
            [dir] => dir.as_path(),
            _ => return Err(crate::exit::invalid("--git and --staged take one repository")),
        };
        let git = Git { dir };
        let inside =
            git.command(&["rev-parse", "--git-dir"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        if !inside.is_ok_and(|status| status.success()) {
            return Err(crate::exit::invalid(format!("{} is not in a git repository", dir.display())));
        }
        if args.staged {
            staged(&git, &needles, &mut report)?;
        } else {
            history(&git, &needles, args.all_history, &mut report)?;
        }
    } else {
        let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
        let mut scanner = needles.scanner();
        for path in &paths {
            walk(&mut scanner, path, &mut report)?;
        }
    }
    note!(
        "keyhaven: {} place(s) scanned for {} pattern(s): {} finding(s)",
        report.places,
        needles.len(),
        report.findings
    );
    if report.findings > 0 {
        return Err(Failure(FAILURE, "vault values found (above); nothing was changed".into()).into());
    }
    Ok(())
}

/// Writes the pre-commit hook. Whatever is at its place already (a hook of
/// someone's, a symlink, dangling or not) is left alone and refused, unless
/// it is a regular file holding exactly our hook; the file is created
/// without following a symlink, so nothing is ever written outside the hooks
/// directory.
pub fn install_hook() -> Result<()> {
    let dir = Git { dir: Path::new(".") }.run(&["rev-parse", "--git-path", "hooks"])?;
    let dir = PathBuf::from(dir.trim());
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let hook = dir.join("pre-commit");
    match fs::symlink_metadata(&hook) {
        Ok(meta) if meta.is_file() && fs::read(&hook).ok().as_deref() == Some(HOOK.as_bytes()) => {}
        Ok(meta) if meta.is_file() => {
            let message = format!("{} exists; add `keyhaven scan --staged` to it yourself", hook.display());
            return Err(Failure(ALREADY_EXISTS, message).into());
        }
        Ok(_) => {
            let message = format!(
                "{} exists and is not a regular file (a symlink?); nothing was written",
                hook.display()
            );
            return Err(Failure(ALREADY_EXISTS, message).into());
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
                .mode(0o755)
                .open(&hook)
                .with_context(|| format!("cannot create {}", hook.display()))?;
            file.write_all(HOOK.as_bytes())?;
            // The process umask may have taken bits off.
            fs::set_permissions(&hook, fs::Permissions::from_mode(0o755))?;
        }
        Err(err) => return Err(err).with_context(|| format!("cannot look at {}", hook.display())),
    }
    note!(
        "keyhaven: {} blocks commits that carry a vault value (git commit --no-verify skips it once)",
        hook.display()
    );
    Ok(())
}

#[derive(Default)]
struct Report {
    places: u64,
    findings: u64,
}

impl Report {
    fn found(&mut self, place: &str, finding: &Finding) {
        self.findings += 1;
        say!("{place}:{}: {}", finding.line, finding.describe());
    }
}

/// Files under `path`, without following symlinks (a link to outside the
/// tree is not the tree's) and without `.git`.
fn walk(scanner: &mut Scanner<'_>, path: &Path, report: &mut Report) -> Result<()> {
    let meta = fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            if entry.file_name().is_some_and(|name| name == ".git") {
                continue;
            }
            walk(scanner, &entry, report)?;
        }
    } else if meta.is_file() {
        let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let place = path.display().to_string();
        report.places += 1;
        let mut hits = Vec::new();
        scanner.scan(file, |finding| hits.push(finding)).with_context(|| format!("reading {place}"))?;
        for hit in &hits {
            report.found(&place, hit);
        }
    }
    Ok(())
}

/// What `git commit` would record: every path the index changes, by the
/// object id of its new content, whatever its type was before (a symlink
/// turned into a file too) and whatever its name (`0:x` is a path, never a
/// stage number here). Any git failure fails the scan: it is never clean.
fn staged(git: &Git<'_>, needles: &Needles, report: &mut Report) -> Result<()> {
    let raw = git.run(&[
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
    ])?;
    // `:old-mode new-mode old-id new-id status\0path\0` per path.
    let mut fields = raw.split('\0');
    let mut paths: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    let mut ids = Vec::new();
    while let Some(info) = fields.next().filter(|info| !info.is_empty()) {
        let path = fields.next().context("git diff --raw: a record without its path")?;
        let parts: Vec<&str> = info.trim_start_matches(':').split(' ').collect();
        let [_, mode, _, id, status] = parts[..] else {
            bail!("git diff --raw said something unexpected");
        };
        // Deleted (nothing recorded), a submodule (a commit, not content), unmerged (not committable).
        if status.starts_with(['D', 'U']) || mode == "160000" {
            continue;
        }
        if !paths.contains_key(id) {
            ids.push(id.to_owned());
        }
        paths.entry(id.to_owned()).or_default().push(path.to_owned());
    }
    for (id, hits) in scan_objects(git, needles, ids, report)? {
        for path in &paths[&id] {
            for hit in &hits {
                report.found(&format!("staged {path}"), hit);
            }
        }
    }
    Ok(())
}

/// Every blob of HEAD's tree, or of every commit on every ref: listed by
/// `git rev-list --objects`, read through one `git cat-file --batch`.
fn history(git: &Git<'_>, needles: &Needles, all: bool, report: &mut Report) -> Result<()> {
    // (object, path): HEAD's files, or every object of every commit on every
    // ref with the first path each was seen at (commits and trees are skipped
    // by type when read).
    let objects: Vec<(String, String)> = if all {
        git.run(&["rev-list", "--objects", "--all"])?
            .lines()
            .map(|line| {
                let (id, path) = line.split_once(' ').unwrap_or((line, ""));
                (id.to_owned(), path.to_owned())
            })
            .collect()
    } else {
        git.run(&["ls-tree", "-r", "-z", "HEAD"])?
            .split('\0')
            .filter_map(|entry| {
                let (info, path) = entry.split_once('\t')?;
                let id = info.split_whitespace().nth(2)?;
                Some((id.to_owned(), path.to_owned()))
            })
            .collect()
    };
    let paths: std::collections::HashMap<String, String> = objects.iter().cloned().collect();
    let ids: Vec<String> = objects.into_iter().map(|(id, _)| id).collect();
    // Only for what was found: the commits that added or removed each blob.
    for (blob, hits) in scan_objects(git, needles, ids, report)? {
        let path = paths.get(&blob).map_or("?", String::as_str);
        let place = if all {
            let commits = git.run(&["log", "--all", "--reverse", "--format=%h", "--find-object", &blob])?;
            let commits: Vec<&str> = commits.lines().filter(|line| !line.is_empty()).collect();
            format!("{}:{path}", if commits.is_empty() { blob.as_str().into() } else { commits.join(",") })
        } else {
            format!("HEAD:{path}")
        };
        for hit in &hits {
            report.found(&place, hit);
        }
    }
    Ok(())
}

/// Reads `ids` through one `git cat-file --batch` and scans each blob (other
/// objects are skipped by type); the blobs with findings, in the order read.
/// A missing object or a failing git fails the scan.
fn scan_objects(
    git: &Git<'_>,
    needles: &Needles,
    ids: Vec<String>,
    report: &mut Report,
) -> Result<Vec<(String, Vec<Finding>)>> {
    let mut batch = git
        .command(&["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running git cat-file")?;
    let mut input = batch.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || -> std::io::Result<()> {
        for id in ids {
            writeln!(input, "{id}")?;
        }
        Ok(())
    });
    let mut output = BufReader::new(batch.stdout.take().expect("piped"));
    let mut header = String::new();
    let mut found_blobs = Vec::new();
    let mut scanner = needles.scanner();
    while output.read_line(&mut header)? > 0 {
        let mut parts = header.split_whitespace();
        let (Some(id), Some(kind), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("git cat-file could not read an object: {}", header.trim());
        };
        let size: u64 = size.parse().context("git cat-file's object size")?;
        let mut body = (&mut output).take(size);
        if kind == "blob" {
            report.places += 1;
            let mut hits = Vec::new();
            scanner.scan(&mut body, |finding| hits.push(finding))?;
            if !hits.is_empty() {
                found_blobs.push((id.to_owned(), hits));
            }
        }
        std::io::copy(&mut body, &mut std::io::sink())?;
        let mut newline = [0u8; 1];
        output.read_exact(&mut newline)?;
        header.clear();
    }
    feeder.join().expect("feeder thread")?;
    if !batch.wait()?.success() {
        bail!("git cat-file failed");
    }
    Ok(found_blobs)
}

/// git in one repository (`dir`, or a directory inside it), with what the
/// repository's own configuration could make it run on a scan turned off:
/// its fsmonitor hook and the untracked cache.
struct Git<'a> {
    dir: &'a Path,
}

impl Git<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(self.dir)
            .args(["-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false"])
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let out = self.command(args).stderr(Stdio::inherit()).output().context("running git")?;
        if !out.status.success() {
            bail!("git {} failed (is {} a git repository?)", args.join(" "), self.dir.display());
        }
        String::from_utf8(out.stdout).context("git's output is not UTF-8")
    }
}
