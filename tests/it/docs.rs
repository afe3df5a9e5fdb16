//! The documentation stays true: its code fences close, and the examples
//! it shows in other languages than Rust parse (the Rust ones are doctests,
//! README's included).

use std::path::PathBuf;

/// Every Markdown file of the front door and `docs/`.
fn markdown_files() -> Vec<PathBuf> {
    let root = crate::root();
    let mut files = vec![
        root.join("README.md"),
        root.join("fuzz/README.md"),
        root.join("data/README.md"),
        root.join("benches/compare/README.md"),
    ];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The fenced blocks of a Markdown text: (language, body).
fn fenced_blocks(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("```") else {
            if let Some((_, _, body)) = &mut open {
                body.push_str(line);
                body.push('\n');
            }
            continue;
        };
        match open.take() {
            None => open = Some((n + 1, rest.trim().to_string(), String::new())),
            Some((_, lang, body)) => {
                if !rest.trim().is_empty() {
                    return Err(format!("line {}: text after a closing fence", n + 1));
                }
                blocks.push((lang, body));
            }
        }
    }
    match open {
        Some((line, _, _)) => Err(format!("the fence opened on line {line} never closes")),
        None => Ok(blocks),
    }
}

#[test]
fn every_code_fence_closes() {
    for path in markdown_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(why) = fenced_blocks(&text) {
            panic!("{}: {why}", path.display());
        }
    }
}

#[test]
fn the_training_guide_plan_is_a_valid_plan() {
    let text = std::fs::read_to_string(crate::root().join("docs/training.md")).unwrap();
    let blocks = fenced_blocks(&text).unwrap();
    let plans: Vec<&String> = blocks
        .iter()
        .filter(|(lang, _)| lang == "toml")
        .map(|(_, body)| body)
        .collect();
    assert!(!plans.is_empty(), "docs/training.md shows a plan");
    for plan in plans {
        let parsed = moneytrail::synth::training::plan_from_toml(plan)
            .unwrap_or_else(|e| panic!("{e}\n{plan}"));
        assert!(parsed.contains_key("fan_out") && parsed.contains_key("cycle"));
    }
}

#[test]
fn a_fence_left_open_is_found() {
    assert!(fenced_blocks("```sh\nls\n").is_err());
    assert!(fenced_blocks("```toml\na = 1\n``` then text\n").is_err());
    assert_eq!(
        fenced_blocks("```sh\nls\n```\n").unwrap(),
        [("sh".to_string(), "ls\n".to_string())]
    );
}
