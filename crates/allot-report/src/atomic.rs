//! Atomic report writing: every file of a run goes to a temporary name first and is renamed
//! into place only once all of them are complete, so a failed run leaves nothing half-written.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A set of output files staged in one folder, committed together.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
}

impl OutputSet {
    /// Starts a set of outputs for `dir` (created when the first file is written).
    pub fn new(dir: &Path) -> OutputSet {
        OutputSet {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
        }
    }

    /// The folder the outputs go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `name` through `fill` into a temporary file next to its final place.
    pub fn write<F>(&mut self, name: &str, fill: F) -> std::io::Result<()>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        self.stage(name, false, fill)
    }

    /// [`OutputSet::write`] for a secret (a key file): readable by its owner only from the
    /// moment its temporary file is created.
    pub fn write_private<F>(&mut self, name: &str, fill: F) -> std::io::Result<()>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        self.stage(name, true, fill)
    }

    fn stage<F>(&mut self, name: &str, private: bool, fill: F) -> std::io::Result<()>
    where
        F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
    {
        let target = self.dir.join(name);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
        let result = (|| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            if private {
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            }
            #[cfg(not(unix))]
            let _ = private;
            let mut w = BufWriter::new(options.open(&tmp)?);
            fill(&mut w)?;
            let file = w
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            file.sync_all()
        })();
        match result {
            Ok(()) => {
                self.staged.push((tmp, target));
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Moves every staged file into place; returns their final paths.
    pub fn commit(mut self) -> std::io::Result<Vec<PathBuf>> {
        let staged = std::mem::take(&mut self.staged);
        let mut done = Vec::with_capacity(staged.len());
        for (tmp, target) in staged {
            fs::rename(&tmp, &target)?;
            done.push(target);
        }
        Ok(done)
    }
}

impl Drop for OutputSet {
    /// An uncommitted set removes its temporary files.
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_a_dropped_set_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::new(dir.path());
        set.write("a.csv", |w| w.write_all(b"x\n")).unwrap();
        assert!(!dir.path().join("a.csv").exists());
        let paths = set.commit().unwrap();
        assert_eq!(fs::read_to_string(&paths[0]).unwrap(), "x\n");

        let mut set = OutputSet::new(dir.path());
        set.write("b.csv", |w| w.write_all(b"y\n")).unwrap();
        let failed = set.write("c.csv", |_| Err(std::io::Error::other("boom")));
        assert!(failed.is_err());
        drop(set);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }
}
