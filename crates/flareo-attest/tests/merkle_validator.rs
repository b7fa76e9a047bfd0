//! The transparency log's maths against the independent validator
//! (`verify-merkle-inclusion`, Python, written from RFC 6962/9162 and C2SP by
//! nobody on the team): our roots, inclusion and consistency proofs and signed
//! checkpoints are accepted, and tampered ones are refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flareo_attest::checkpoint::Checkpoint;
use flareo_attest::merkle::{self, Hash, MemoryTree, hex};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePublicKey, LineEnding};

/// Runs `verify-merkle-inclusion` with `args`; (exit code, output).
fn validator(args: &[String]) -> (i32, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    flareo_testkit::run_validator("verify-merkle-inclusion", &args)
}

fn hexes(proof: &[Hash]) -> String {
    proof.iter().map(|h| hex(h)).collect::<Vec<_>>().join(",")
}

fn inclusion_args(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Vec<String> {
    vec![
        "inclusion".into(),
        format!("--index={index}"),
        format!("--size={size}"),
        format!("--root={}", hex(root)),
        format!("--proof={}", hexes(proof)),
        format!("--leaf-hash={}", hex(leaf)),
    ]
}

fn consistency_args(old: u64, new: u64, r1: &Hash, r2: &Hash, proof: &[Hash]) -> Vec<String> {
    vec![
        "consistency".into(),
        format!("--size1={old}"),
        format!("--size2={new}"),
        format!("--root1={}", hex(r1)),
        format!("--root2={}", hex(r2)),
        format!("--proof={}", hexes(proof)),
    ]
}

fn flip(h: &Hash) -> Hash {
    let mut h = *h;
    h[31] ^= 1;
    h
}

/// Runs every (args, should pass) case over two threads; returns the failures.
fn run_all(cases: Vec<(Vec<String>, bool)>) -> Vec<String> {
    let chunks: Vec<Vec<(Vec<String>, bool)>> = {
        let half = cases.len().div_ceil(2);
        let mut it = cases.into_iter();
        vec![it.by_ref().take(half).collect(), it.collect()]
    };
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            std::thread::spawn(move || {
                let mut wrong = Vec::new();
                for (args, pass) in chunk {
                    let (code, text) = validator(&args);
                    let want = if pass { 0 } else { 1 };
                    if code != want {
                        wrong.push(format!("{args:?}: exit {code}, want {want}: {text}"));
                    }
                }
                wrong
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

/// A small deterministic PRNG (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn proofs_are_accepted_and_tampered_ones_refused() {
    let mut tree = MemoryTree::new();
    let leaves: Vec<Hash> = (0..70u32)
        .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
        .collect();
    for l in &leaves {
        tree.push_leaf_hash(*l);
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut cases = Vec::new();
    let sizes: Vec<u64> = (1..=17).chain([31, 32, 33, 63, 64, 65, 70]).collect();
    for &n in &sizes {
        let root = merkle::root(&tree, n).unwrap();
        let m = rng.below(n);
        let proof = merkle::inclusion_proof(&tree, m, n).unwrap();
        let leaf = &leaves[m as usize];
        cases.push((inclusion_args(m, n, leaf, &proof, &root), true));
        let old = 1 + rng.below(n);
        let old_root = merkle::root(&tree, old).unwrap();
        let c = merkle::consistency_proof(&tree, old, n).unwrap();
        cases.push((consistency_args(old, n, &old_root, &root, &c), true));
        if n % 4 == 1 {
            // Tampered: another leaf, another root, a changed or missing proof hash.
            cases.push((inclusion_args(m, n, &flip(leaf), &proof, &root), false));
            cases.push((inclusion_args(m, n, leaf, &proof, &flip(&root)), false));
            if let Some((last, rest)) = proof.split_last() {
                let mut bad = rest.to_vec();
                bad.push(flip(last));
                cases.push((inclusion_args(m, n, leaf, &bad, &root), false));
                cases.push((inclusion_args(m, n, leaf, rest, &root), false));
            }
            if old < n {
                cases.push((consistency_args(old, n, &flip(&old_root), &root, &c), false));
                cases.push((consistency_args(old, n, &old_root, &flip(&root), &c), false));
            }
        }
    }
    let wrong = run_all(cases);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn roots_agree_with_the_validator() {
    let dir = tempfile::tempdir().unwrap();
    for n in [0usize, 1, 2, 3, 7, 8, 9, 100, 1000] {
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry-{i}").into_bytes()).collect();
        let mut tree = MemoryTree::new();
        let mut file = String::new();
        for e in &entries {
            tree.push(e);
            file.push_str(&STANDARD.encode(e));
            file.push('\n');
        }
        let path = dir.path().join(format!("leaves-{n}"));
        std::fs::write(&path, file).unwrap();
        let (code, text) = validator(&[
            "root".into(),
            "--leaves-file".into(),
            path.display().to_string(),
        ]);
        assert_eq!(code, 0, "{text}");
        assert_eq!(text.trim(), hex(&tree.root()), "root of {n} entries");
    }
}

#[test]
fn checkpoints_are_accepted_and_tampered_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let pem_path = dir.path().join("log.pub");
    std::fs::write(&pem_path, pem).unwrap();
    let other = SigningKey::from_slice(&[0x43; 32]).unwrap();
    let other_pem = dir.path().join("other.pub");
    std::fs::write(
        &other_pem,
        other
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    )
    .unwrap();

    let mut tree = MemoryTree::new();
    for i in 0..21u8 {
        tree.push(&[i]);
    }
    let cp = Checkpoint {
        origin: "flareo.test - 8571334221".into(),
        size: tree.size(),
        root: tree.root(),
        extensions: vec!["Timestamp: 1763900000000000000".into()],
    };
    let note = cp.sign("flareo.test", &key).unwrap();
    let check = |name: &str, text: &str, key: &std::path::Path, origin: Option<&str>| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut args = vec![
            "checkpoint".to_string(),
            path.display().to_string(),
            "--key".into(),
            key.display().to_string(),
        ];
        if let Some(o) = origin {
            args.push(format!("--origin={o}"));
        }
        validator(&args)
    };
    let (code, text) = check("good", &note, &pem_path, Some("flareo.test - 8571334221"));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&hex(&tree.root())), "{text}");
    // Our own verifier agrees.
    assert_eq!(
        flareo_attest::checkpoint::verify(&note, key.verifying_key(), None).unwrap(),
        cp
    );

    let tampered = note.replacen("\n21\n", "\n22\n", 1);
    let (code, text) = check("size", &tampered, &pem_path, None);
    assert_eq!(code, 1, "a changed size must fail: {text}");
    assert!(flareo_attest::checkpoint::verify(&tampered, key.verifying_key(), None).is_err());

    let (code, text) = check("wrong-key", &note, &other_pem, None);
    assert_eq!(code, 1, "another key must fail: {text}");
    let (code, text) = check("wrong-origin", &note, &pem_path, Some("elsewhere - 1"));
    assert_eq!(code, 1, "another origin must fail: {text}");

    // A note our code rejects as malformed, the validator rejects too.
    let root_line = STANDARD.encode(tree.root());
    let bad_root = note.replacen(&root_line, &STANDARD.encode([0u8; 31]), 1);
    let (code, text) = check("bad-root", &bad_root, &pem_path, None);
    assert_ne!(code, 0, "{text}");
    assert!(flareo_attest::checkpoint::parse(&bad_root).is_err());
}
