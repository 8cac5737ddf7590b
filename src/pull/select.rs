//! Partial pulls: which files of a verified listing to download. The signature and the
//! pre-download check always cover the whole listing; a selection only decides what is fetched.
//!
//! Patterns follow `hf download` (Python's `fnmatch`, as `huggingface_hub`'s
//! `filter_repo_objects` applies them): `*` matches any run of characters including `/`, `?`
//! one character, `[seq]`/`[!seq]` a class; a pattern ending in `/` matches everything below.

/// What the user asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Exact repository paths (`hubsign pull org/model FILE...`).
    pub files: Vec<String>,
    /// `--include`: when any is given, only matching paths.
    pub include: Vec<String>,
    /// `--exclude`: never matching paths.
    pub exclude: Vec<String>,
}

impl Selection {
    /// Everything (no partial pull).
    pub fn is_all(&self) -> bool {
        self.files.is_empty() && self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether `path` is selected.
    pub fn selects(&self, path: &str) -> bool {
        if !self.files.is_empty() {
            return self.files.iter().any(|f| f == path);
        }
        let included = self.include.is_empty() || self.include.iter().any(|p| fnmatch(&normalize(p), path));
        included && !self.exclude.iter().any(|p| fnmatch(&normalize(p), path))
    }
}

/// `dir/` means everything below `dir` (as `filter_repo_objects` does).
fn normalize(pattern: &str) -> String {
    if pattern.ends_with('/') {
        format!("{pattern}*")
    } else {
        pattern.to_owned()
    }
}

/// Python's `fnmatch.fnmatchcase` (POSIX paths: case-sensitive), iterative with backtracking
/// on the last `*` only, so it runs in O(len(pattern) × len(text)).
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        // An unclosed `[` is a literal.
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`: `Some((matched, index after
/// the class))`, or `None` when the class is not closed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Selection, fnmatch};

    #[test]
    fn fnmatch_like_python() {
        for (p, t, want) in [
            ("*.safetensors", "model.safetensors", true),
            ("*.safetensors", "sub/dir/model.safetensors", true),
            ("*.bin", "model.safetensors", false),
            ("*Q4_K_M*", "llama-Q4_K_M.gguf", true),
            ("model-?.bin", "model-1.bin", true),
            ("model-?.bin", "model-10.bin", false),
            ("[ab]*", "apple", true),
            ("[!ab]*", "apple", false),
            ("data/[0-9]*.json", "data/7.json", true),
            ("a[", "a[", true),
            ("config.json", "config.json", true),
            ("*", "", true),
            ("", "x", false),
        ] {
            assert_eq!(fnmatch(p, t), want, "{p} ~ {t}");
        }
        // No exponential blow-up on many stars.
        assert!(!fnmatch(&"*a".repeat(30), &"a".repeat(28)));
    }

    #[test]
    fn selections() {
        let s = Selection {
            include: vec!["*.safetensors".into(), "tokenizer/".into()],
            exclude: vec!["*-bad.safetensors".into()],
            ..Selection::default()
        };
        assert!(s.selects("model.safetensors"));
        assert!(s.selects("tokenizer/vocab.txt"));
        assert!(!s.selects("model-bad.safetensors"));
        assert!(!s.selects("pytorch_model.bin"));
        let files = Selection {
            files: vec!["config.json".into()],
            ..Selection::default()
        };
        assert!(files.selects("config.json") && !files.selects("model.safetensors"));
        assert!(Selection::default().is_all() && Selection::default().selects("anything"));
    }
}
