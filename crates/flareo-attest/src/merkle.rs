//! RFC 6962 / RFC 9162 §2.1 Merkle tree maths over stored perfect subtrees: leaf and
//! node hashing, tree heads, inclusion and consistency proofs, the nodes an append
//! completes, and the verifiers.
//!
//! Storage model: only *perfect* subtrees are stored. [`NodeId`] `(level, index)`
//! names the hash of leaves `[index·2^level, (index+1)·2^level)`; level 0 holds the
//! leaf hashes. Every subtree the RFC's recursion visits is either perfect or runs
//! to the right edge of the tree, and the hash of the latter folds the perfect
//! subtrees covering it, so a root or a proof needs O(log n) stored nodes. The
//! `*_nodes` functions name them up front, so a database can fetch them in one
//! query and hand them back as a map (a `BTreeMap<NodeId, Hash>` is a
//! [`NodeSource`]).

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`: the hash of a log entry (RFC 6962 leaf hash).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// `SHA-256("")`: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// Lower-case hex of a hash (or any bytes), for messages and logs.
pub use crate::keys::hex;

/// The address of a perfect subtree: leaves `[index·2^level, (index+1)·2^level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves (0 = a leaf).
    pub level: u32,
    /// Position among the subtrees of this height, from the left.
    pub index: u64,
}

impl NodeId {
    /// The node at `level`, `index`.
    pub const fn new(level: u32, index: u64) -> Self {
        Self { level, index }
    }

    /// The first leaf the subtree covers.
    pub const fn first_leaf(self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf the subtree covers.
    pub const fn end_leaf(self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// Where stored perfect-subtree hashes come from (memory, a database's rows).
/// Implementations return exactly the hash stored for `id`, or an error when
/// they have none (the callers here only ask for nodes complete in the tree
/// size they were given).
pub trait NodeSource {
    /// Why a node could not be read.
    type Error;

    /// The hash of perfect subtree `id`.
    fn node(&self, id: NodeId) -> Result<Hash, Self::Error>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    type Error = T::Error;

    fn node(&self, id: NodeId) -> Result<Hash, Self::Error> {
        (**self).node(id)
    }
}

/// A node a [`NodeSource`] does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "tree node (level {}, index {}) is not stored: the tree is smaller than asked, or its storage is incomplete",
    .0.level,
    .0.index
)]
pub struct MissingNode(pub NodeId);

impl NodeSource for BTreeMap<NodeId, Hash> {
    type Error = MissingNode;

    fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        self.get(&id).copied().ok_or(MissingNode(id))
    }
}

impl<S: std::hash::BuildHasher> NodeSource for HashMap<NodeId, Hash, S> {
    type Error = MissingNode;

    fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        self.get(&id).copied().ok_or(MissingNode(id))
    }
}

/// A request no tree can answer, whatever it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// An inclusion proof (or leaf) asked for outside the tree.
    #[error(
        "leaf index {index} is outside a tree of size {size}: ask for an index below the tree size"
    )]
    IndexOutOfRange {
        /// The leaf asked for.
        index: u64,
        /// The tree size asked for.
        size: u64,
    },
    /// A consistency proof from a larger tree to a smaller one.
    #[error(
        "consistency proof from size {old} to size {new}: the first size must not exceed the second"
    )]
    SizesOutOfOrder {
        /// The first (older) tree size.
        old: u64,
        /// The second (newer) tree size.
        new: u64,
    },
    /// The tree would outgrow 2^63 leaves.
    #[error("a tree of size {0} cannot grow: it is at the 2^63-leaf limit")]
    TreeFull(u64),
}

/// Why a root or proof could not be computed over a [`NodeSource`].
#[derive(Debug, thiserror::Error)]
pub enum TreeError<E> {
    /// The request itself is impossible.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// The source failed to give a node.
    #[error("reading a stored tree node: {0}")]
    Source(#[source] E),
}

/// `2^k` for the largest `k` with `2^k < n` (RFC 6962's split point); `n >= 2`.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtrees covering leaves `[start, end)`, left to right, for a range
/// the RFC recursion visits (`start` aligned to every power of two not above
/// `end - start`): the binary digits of `end - start`, largest first.
fn cover(start: u64, end: u64, out: &mut Vec<NodeId>) {
    let mut s = start;
    while s < end {
        let level = 63 - (end - s).leading_zeros();
        debug_assert_eq!(s % (1 << level), 0, "unaligned subtree [{start}, {end})");
        out.push(NodeId::new(level, s >> level));
        s += 1 << level;
    }
}

/// The hash of leaves `[start, end)` (a subtree of the RFC recursion): its
/// covering perfect subtrees folded from the right.
fn range_hash<S: NodeSource>(src: &S, start: u64, end: u64) -> Result<Hash, TreeError<S::Error>> {
    let mut ids = Vec::new();
    cover(start, end, &mut ids);
    let mut acc: Option<Hash> = None;
    for id in ids.into_iter().rev() {
        let h = src.node(id).map_err(TreeError::Source)?;
        acc = Some(match acc {
            None => h,
            Some(right) => node_hash(&h, &right),
        });
    }
    Ok(acc.unwrap_or_else(empty_root))
}

/// One level of a proof's path, from the top of the tree down: the sibling
/// subtree `[start, end)` and which side of the path it lies on.
#[derive(Debug, Clone, Copy)]
struct Step {
    start: u64,
    end: u64,
    /// The sibling is right of the path (the path went left).
    right: bool,
}

/// RFC 6962 PATH(index, D[0:size]) as steps, leaf side first (proof order).
fn inclusion_path(index: u64, size: u64) -> Result<Vec<Step>, RangeError> {
    if index >= size {
        return Err(RangeError::IndexOutOfRange { index, size });
    }
    let (mut lo, mut hi) = (0, size);
    let mut steps = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split(hi - lo);
        if index < mid {
            steps.push(Step {
                start: mid,
                end: hi,
                right: true,
            });
            hi = mid;
        } else {
            steps.push(Step {
                start: lo,
                end: mid,
                right: false,
            });
            lo = mid;
        }
    }
    steps.reverse();
    Ok(steps)
}

/// RFC 6962 SUBPROOF(old, D[0:new], true) as (the terminal subtree when the proof
/// carries it, steps leaf side first). Only for `0 < old < new`.
fn consistency_path(old: u64, new: u64) -> (Option<(u64, u64)>, Vec<Step>) {
    debug_assert!(0 < old && old < new);
    let (mut lo, mut hi, mut whole_old_root) = (0, new, true);
    let mut steps = Vec::new();
    while old != hi {
        let mid = lo + split(hi - lo);
        if old <= mid {
            steps.push(Step {
                start: mid,
                end: hi,
                right: true,
            });
            hi = mid;
        } else {
            steps.push(Step {
                start: lo,
                end: mid,
                right: false,
            });
            lo = mid;
            whole_old_root = false;
        }
    }
    steps.reverse();
    // When the old tree is the perfect leftmost subtree, the verifier already
    // holds its hash (the old root), so the proof omits it.
    let terminal = (!whole_old_root).then_some((lo, hi));
    (terminal, steps)
}

fn checked_consistency(old: u64, new: u64) -> Result<bool, RangeError> {
    if old > new {
        return Err(RangeError::SizesOutOfOrder { old, new });
    }
    Ok(old > 0 && old < new)
}

/// The stored nodes [`root`] reads for `size`: one per set bit of `size`.
pub fn root_nodes(size: u64) -> Vec<NodeId> {
    let mut ids = Vec::new();
    cover(0, size, &mut ids);
    ids
}

/// The stored nodes [`inclusion_proof`] reads (at most 2·log2(size)).
pub fn inclusion_nodes(index: u64, size: u64) -> Result<Vec<NodeId>, RangeError> {
    let mut ids = Vec::new();
    for s in inclusion_path(index, size)? {
        cover(s.start, s.end, &mut ids);
    }
    Ok(ids)
}

/// The stored nodes [`consistency_proof`] reads (at most 2·log2(new)).
pub fn consistency_nodes(old: u64, new: u64) -> Result<Vec<NodeId>, RangeError> {
    let mut ids = Vec::new();
    if checked_consistency(old, new)? {
        let (terminal, steps) = consistency_path(old, new);
        if let Some((start, end)) = terminal {
            cover(start, end, &mut ids);
        }
        for s in steps {
            cover(s.start, s.end, &mut ids);
        }
    }
    Ok(ids)
}

/// The root of the tree's first `size` leaves (the empty root for 0).
pub fn root<S: NodeSource>(src: &S, size: u64) -> Result<Hash, TreeError<S::Error>> {
    range_hash(src, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves, as RFC 6962
/// PATH(index, D[size]) lists it (nearest the leaf first): any RFC 6962/9162
/// verifier accepts it against `root(size)`.
pub fn inclusion_proof<S: NodeSource>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    inclusion_path(index, size)?
        .into_iter()
        .map(|s| range_hash(src, s.start, s.end))
        .collect()
}

/// The proof that the tree of `old` leaves is a prefix of the tree of `new`
/// leaves, as RFC 6962 PROOF(old, D[new]) lists it; empty when `old` is 0 or
/// equals `new`.
pub fn consistency_proof<S: NodeSource>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if !checked_consistency(old, new)? {
        return Ok(Vec::new());
    }
    let (terminal, steps) = consistency_path(old, new);
    terminal
        .into_iter()
        .chain(steps.into_iter().map(|s| (s.start, s.end)))
        .map(|(start, end)| range_hash(src, start, end))
        .collect()
}

/// The nodes that become perfect when leaf number `size` (0-based, so the tree
/// grows to `size + 1`) with hash `leaf` is appended: the leaf at level 0, then
/// each parent it completes, lowest first. Reads only nodes of
/// [`root_nodes`]`(size)` (one per trailing 1 bit of `size`).
pub fn appended_nodes<S: NodeSource>(
    src: &S,
    size: u64,
    leaf: Hash,
) -> Result<Vec<(NodeId, Hash)>, TreeError<S::Error>> {
    if size >= 1 << 63 {
        return Err(RangeError::TreeFull(size).into());
    }
    let mut id = NodeId::new(0, size);
    let mut hash = leaf;
    let mut out = vec![(id, hash)];
    while id.index & 1 == 1 {
        let left = src
            .node(NodeId::new(id.level, id.index - 1))
            .map_err(TreeError::Source)?;
        hash = node_hash(&left, &hash);
        id = NodeId::new(id.level + 1, id.index >> 1);
        out.push((id, hash));
    }
    Ok(out)
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The sizes or index cannot be proved at all.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// The proof has the wrong number of hashes for its sizes.
    #[error("proof has {got} hashes; a proof for these tree sizes has {expected}")]
    WrongLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes such a proof has.
        expected: usize,
    },
    /// The inclusion proof leads to another root.
    #[error("inclusion proof leads to root {}, expected {}", hex(.computed), hex(.expected))]
    RootMismatch {
        /// The root the leaf and proof give.
        computed: Hash,
        /// The root the caller trusts.
        expected: Hash,
    },
    /// The consistency proof does not rebuild the first (older) root.
    #[error("consistency proof leads to old root {}, expected {}", hex(.computed), hex(.expected))]
    OldRootMismatch {
        /// The old root the proof gives.
        computed: Hash,
        /// The old root the caller trusts.
        expected: Hash,
    },
    /// The consistency proof does not rebuild the second (newer) root.
    #[error("consistency proof leads to new root {}, expected {}", hex(.computed), hex(.expected))]
    NewRootMismatch {
        /// The new root the proof gives.
        computed: Hash,
        /// The new root the caller trusts.
        expected: Hash,
    },
    /// Two trees of the same size with different roots: a fork.
    #[error(
        "two roots of a tree of size {size} differ ({} and {}): the log forked",
        hex(.old),
        hex(.new)
    )]
    Fork {
        /// The tree size.
        size: u64,
        /// The first root.
        old: Hash,
        /// The second root.
        new: Hash,
    },
    /// The empty tree is a prefix of every tree and needs no proof.
    #[error("consistency proof from size 0 must be empty, it has {0} hashes")]
    NonEmptyTrivialProof(usize),
}

/// The root that leaf `leaf_hash` at `index` and `proof` give for a tree of `size`.
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, VerifyError> {
    let steps = inclusion_path(index, size)?;
    if steps.len() != proof.len() {
        return Err(VerifyError::WrongLength {
            got: proof.len(),
            expected: steps.len(),
        });
    }
    Ok(steps
        .iter()
        .zip(proof)
        .fold(*leaf_hash, |acc, (s, sibling)| {
            if s.right {
                node_hash(&acc, sibling)
            } else {
                node_hash(sibling, &acc)
            }
        }))
}

/// Checks that `proof` shows leaf `leaf_hash` at `index` in the tree of `size`
/// leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    let computed = root_from_inclusion(index, size, leaf_hash, proof)?;
    if computed != *root {
        return Err(VerifyError::RootMismatch {
            computed,
            expected: *root,
        });
    }
    Ok(())
}

/// Checks that `proof` shows the tree of `old` leaves with root `old_root` is a
/// prefix of the tree of `new` leaves with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if !checked_consistency(old, new)? {
        if old == 0 {
            return match proof.len() {
                0 => Ok(()),
                n => Err(VerifyError::NonEmptyTrivialProof(n)),
            };
        }
        if !proof.is_empty() {
            return Err(VerifyError::WrongLength {
                got: proof.len(),
                expected: 0,
            });
        }
        if old_root != new_root {
            return Err(VerifyError::Fork {
                size: old,
                old: *old_root,
                new: *new_root,
            });
        }
        return Ok(());
    }
    let (terminal, steps) = consistency_path(old, new);
    let expected = steps.len() + usize::from(terminal.is_some());
    if proof.len() != expected {
        return Err(VerifyError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    let (start, rest) = match terminal {
        Some(_) => (proof[0], &proof[1..]),
        None => (*old_root, proof),
    };
    // Rebuild both roots bottom-up: a left sibling lies inside both trees, a
    // right sibling only in the new one.
    let (mut old_acc, mut new_acc) = (start, start);
    for (s, sibling) in steps.iter().zip(rest) {
        if s.right {
            new_acc = node_hash(&new_acc, sibling);
        } else {
            old_acc = node_hash(sibling, &old_acc);
            new_acc = node_hash(sibling, &new_acc);
        }
    }
    if old_acc != *old_root {
        return Err(VerifyError::OldRootMismatch {
            computed: old_acc,
            expected: *old_root,
        });
    }
    if new_acc != *new_root {
        return Err(VerifyError::NewRootMismatch {
            computed: new_acc,
            expected: *new_root,
        });
    }
    Ok(())
}

/// An append-only tree held in memory (every perfect node, level by level): the
/// reference for tests and benchmarks, and a [`NodeSource`] like a database's.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves it holds.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends an entry; returns its index.
    pub fn push(&mut self, data: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(data))
    }

    /// Appends a leaf by its leaf hash; returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let size = self.size();
        let nodes = match appended_nodes(self, size, leaf) {
            Ok(nodes) => nodes,
            // Our own nodes are all there; only a 2^63-leaf tree gets here.
            Err(e) => panic!("memory tree append: {e}"),
        };
        for (id, hash) in nodes {
            if self.levels.len() <= id.level as usize {
                self.levels.push(Vec::new());
            }
            self.levels[id.level as usize].push(hash);
        }
        size
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        match root(self, self.size()) {
            Ok(h) => h,
            Err(e) => panic!("memory tree root: {e}"),
        }
    }
}

impl NodeSource for MemoryTree {
    type Error = MissingNode;

    fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        self.levels
            .get(id.level as usize)
            .and_then(|l| l.get(usize::try_from(id.index).ok()?))
            .copied()
            .ok_or(MissingNode(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // A naive reference straight from RFC 6962 §2.1, over leaf hashes.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = k_of(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn k_of(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = k_of(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    fn subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(leaves)] };
        }
        let k = k_of(n);
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    fn tree(n: usize) -> (MemoryTree, Vec<Hash>) {
        let mut t = MemoryTree::new();
        let leaves: Vec<Hash> = (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect();
        for l in &leaves {
            t.push_leaf_hash(*l);
        }
        (t, leaves)
    }

    fn flip(h: &Hash) -> Hash {
        let mut h = *h;
        h[7] ^= 0x20;
        h
    }

    #[test]
    fn hashes_follow_rfc_6962() {
        assert_eq!(
            hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // SHA-256 of the single byte 0x00 (the empty entry's leaf hash).
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let mut joined = vec![1u8];
        joined.extend_from_slice(&a);
        joined.extend_from_slice(&b);
        assert_eq!(node_hash(&a, &b), <[u8; 32]>::from(Sha256::digest(&joined)));
        assert_eq!(MemoryTree::new().root(), empty_root());
    }

    #[test]
    fn every_size_and_index_matches_the_reference() {
        let (t, leaves) = tree(100);
        for n in 0..=100u64 {
            let prefix = &leaves[..n as usize];
            let r = root(&t, n).unwrap();
            assert_eq!(r, mth(prefix), "root of {n}");
            assert_eq!(root_nodes(n).len(), n.count_ones() as usize);
            for m in 0..n {
                let p = inclusion_proof(&t, m, n).unwrap();
                assert_eq!(p, path(m as usize, prefix), "PATH({m}, {n})");
                verify_inclusion(m, n, &leaves[m as usize], &p, &r).unwrap();
            }
            for m in 0..=n {
                let p = consistency_proof(&t, m, n).unwrap();
                let want = if m == 0 || m == n {
                    Vec::new()
                } else {
                    subproof(m as usize, prefix, true)
                };
                assert_eq!(p, want, "PROOF({m}, {n})");
                verify_consistency(m, n, &mth(&leaves[..m as usize]), &r, &p).unwrap();
            }
        }
    }

    #[test]
    fn proofs_read_logarithmically_many_nodes() {
        let n = 1_000_003u64;
        for m in [0, 1, 511, 512, 513, 999_999, n - 1] {
            assert!(inclusion_nodes(m, n).unwrap().len() <= 2 * 20, "{m}");
            assert!(
                consistency_nodes(m.max(1), n).unwrap().len() <= 2 * 20,
                "{m}"
            );
        }
    }

    #[test]
    fn appends_complete_the_right_nodes() {
        let mut t = MemoryTree::new();
        let ids = |t: &MemoryTree, size| {
            appended_nodes(t, size, leaf_hash(b"x"))
                .unwrap()
                .into_iter()
                .map(|(id, _)| (id.level, id.index))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&t, 0), [(0, 0)]);
        for i in 0..7 {
            t.push(&[i]);
        }
        // Leaf 7 completes [6,8), [4,8) and [0,8).
        assert_eq!(ids(&t, 7), [(0, 7), (1, 3), (2, 1), (3, 0)]);
        let need: Vec<NodeId> = root_nodes(7);
        assert_eq!(
            need,
            [NodeId::new(2, 0), NodeId::new(1, 2), NodeId::new(0, 6)]
        );
        assert_eq!(NodeId::new(2, 1).first_leaf(), 4);
        assert_eq!(NodeId::new(2, 1).end_leaf(), 8);
    }

    #[test]
    fn impossible_requests_are_refused() {
        let (t, leaves) = tree(5);
        assert!(matches!(
            inclusion_proof(&t, 5, 5),
            Err(TreeError::Range(RangeError::IndexOutOfRange {
                index: 5,
                size: 5
            }))
        ));
        assert!(matches!(
            consistency_proof(&t, 6, 5),
            Err(TreeError::Range(RangeError::SizesOutOfOrder {
                old: 6,
                new: 5
            }))
        ));
        // Asking beyond what is stored is the source's error, naming the node.
        let err = root(&t, 6).unwrap_err();
        assert!(err.to_string().contains("level 1, index 2"), "{err}");
        let r = t.root();
        assert_eq!(
            verify_inclusion(0, 0, &leaves[0], &[], &r),
            Err(VerifyError::Range(RangeError::IndexOutOfRange {
                index: 0,
                size: 0
            }))
        );
        assert_eq!(
            verify_consistency(0, 5, &empty_root(), &r, &[r]),
            Err(VerifyError::NonEmptyTrivialProof(1))
        );
        assert_eq!(
            verify_consistency(5, 5, &flip(&r), &r, &[]),
            Err(VerifyError::Fork {
                size: 5,
                old: flip(&r),
                new: r
            })
        );
        verify_consistency(5, 5, &r, &r, &[]).unwrap();
    }

    #[test]
    fn tampering_is_named() {
        let (t, leaves) = tree(13);
        let r = t.root();
        let p = inclusion_proof(&t, 6, 13).unwrap();
        let bad_leaf = flip(&leaves[6]);
        assert!(matches!(
            verify_inclusion(6, 13, &bad_leaf, &p, &r),
            Err(VerifyError::RootMismatch { .. })
        ));
        assert_eq!(
            verify_inclusion(6, 13, &leaves[6], &p[..p.len() - 1], &r),
            Err(VerifyError::WrongLength {
                got: p.len() - 1,
                expected: p.len()
            })
        );
        let old = root(&t, 6).unwrap();
        let c = consistency_proof(&t, 6, 13).unwrap();
        assert!(matches!(
            verify_consistency(6, 13, &flip(&old), &r, &c),
            Err(VerifyError::OldRootMismatch { .. })
        ));
        assert!(matches!(
            verify_consistency(6, 13, &old, &flip(&r), &c),
            Err(VerifyError::NewRootMismatch { .. })
        ));
        let msg = verify_inclusion(6, 13, &bad_leaf, &p, &r)
            .unwrap_err()
            .to_string();
        assert!(msg.contains(&hex(&r)), "{msg}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_proofs_match_reference_and_verify(
            n in 1usize..=130,
            a in any::<prop::sample::Index>(),
            b in any::<prop::sample::Index>(),
            which in 0usize..32,
            bit in 0u8..8,
        ) {
            let (t, leaves) = tree(n);
            let m = a.index(n);
            let r = t.root();
            prop_assert_eq!(r, mth(&leaves));
            let p = inclusion_proof(&t, m as u64, n as u64).unwrap();
            prop_assert_eq!(&p, &path(m, &leaves));
            prop_assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &p, &r).is_ok());
            let mut bad = leaves[m];
            bad[which] ^= 1 << bit;
            prop_assert!(verify_inclusion(m as u64, n as u64, &bad, &p, &r).is_err());
            let mut bad_root = r;
            bad_root[which] ^= 1 << bit;
            prop_assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &p, &bad_root).is_err());
            if !p.is_empty() {
                let mut tampered = p.clone();
                let i = which % tampered.len();
                tampered[i][which] ^= 1 << bit;
                prop_assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &tampered, &r).is_err());
                // A valid proof for another index does not pass for this one.
                let other = (m + 1) % n;
                prop_assert!(verify_inclusion(other as u64, n as u64, &leaves[m], &p, &r).is_err());
            }

            let old = 1 + b.index(n);
            let old_root = mth(&leaves[..old]);
            let c = consistency_proof(&t, old as u64, n as u64).unwrap();
            let want = if old == n { Vec::new() } else { subproof(old, &leaves, true) };
            prop_assert_eq!(&c, &want);
            prop_assert!(verify_consistency(old as u64, n as u64, &old_root, &r, &c).is_ok());
            let mut bad_old = old_root;
            bad_old[which] ^= 1 << bit;
            prop_assert!(verify_consistency(old as u64, n as u64, &bad_old, &r, &c).is_err());
            prop_assert!(verify_consistency(old as u64, n as u64, &old_root, &bad_root, &c).is_err());
            if !c.is_empty() {
                let mut tampered = c.clone();
                let i = which % tampered.len();
                tampered[i][which] ^= 1 << bit;
                prop_assert!(verify_consistency(old as u64, n as u64, &old_root, &r, &tampered).is_err());
            }
        }
    }
}
