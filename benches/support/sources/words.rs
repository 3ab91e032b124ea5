//! Words and names: the vocabulary of generated identifiers, comments and
//! docs, and the random sizes and counts files are given.

use std::fmt::Write as _;

use crate::synth::Rng;

/// Nouns of business code: directories, files, types.
const NOUNS: &[&str] = &[
    "account",
    "address",
    "alert",
    "amount",
    "asset",
    "audit",
    "balance",
    "batch",
    "booking",
    "budget",
    "bundle",
    "cache",
    "campaign",
    "card",
    "cart",
    "category",
    "channel",
    "charge",
    "claim",
    "client",
    "comment",
    "config",
    "contract",
    "country",
    "coupon",
    "credit",
    "currency",
    "customer",
    "dashboard",
    "device",
    "discount",
    "document",
    "draft",
    "entry",
    "event",
    "fee",
    "feed",
    "file",
    "filter",
    "grant",
    "group",
    "history",
    "invoice",
    "item",
    "job",
    "journal",
    "label",
    "ledger",
    "limit",
    "line",
    "listing",
    "locale",
    "member",
    "message",
    "metric",
    "note",
    "offer",
    "order",
    "owner",
    "page",
    "partner",
    "payment",
    "payout",
    "period",
    "plan",
    "policy",
    "price",
    "product",
    "profile",
    "quota",
    "rate",
    "receipt",
    "record",
    "refund",
    "region",
    "report",
    "review",
    "role",
    "rule",
    "schedule",
    "segment",
    "session",
    "setting",
    "shipment",
    "slot",
    "snapshot",
    "source",
    "status",
    "stock",
    "store",
    "subscription",
    "summary",
    "tag",
    "task",
    "tax",
    "template",
    "tenant",
    "ticket",
    "token",
    "transfer",
    "user",
    "vendor",
    "voucher",
    "warehouse",
    "webhook",
    "window",
    "zone",
];

/// Verbs of function names.
const VERBS: &[&str] = &[
    "apply",
    "build",
    "cancel",
    "check",
    "collect",
    "compute",
    "create",
    "decode",
    "delete",
    "dispatch",
    "emit",
    "encode",
    "fetch",
    "find",
    "flush",
    "format",
    "handle",
    "load",
    "lookup",
    "merge",
    "normalize",
    "parse",
    "publish",
    "refresh",
    "register",
    "reject",
    "render",
    "resolve",
    "retry",
    "save",
    "schedule",
    "sync",
    "track",
    "update",
    "validate",
    "verify",
];

/// Filler of comments and docs.
const PROSE: &[&str] = &[
    "the", "a", "is", "when", "if", "this", "that", "we", "keep", "so", "not", "only", "before", "after",
    "each", "every", "returns", "because", "until", "once", "may", "must", "never", "already", "still",
    "with", "without", "from", "into", "for", "of", "per", "on", "by", "as", "its", "their", "none", "first",
    "last", "next", "pending", "active", "expired", "cached", "remote", "local", "stale",
];

/// The teams of both trees, in the order components are dealt to them;
/// the first owns each language's hub.
pub(super) const TEAMS: [&str; 20] = [
    "platform",
    "identity",
    "billing",
    "payments",
    "catalog",
    "search",
    "checkout",
    "orders",
    "fulfillment",
    "inventory",
    "pricing",
    "messaging",
    "media",
    "content",
    "analytics",
    "growth",
    "support",
    "risk",
    "ledger",
    "partners",
];

pub(super) fn noun(r: &mut Rng) -> &'static str {
    NOUNS[r.below(NOUNS.len())]
}

pub(super) fn verb(r: &mut Rng) -> &'static str {
    VERBS[r.below(VERBS.len())]
}

pub(super) fn cap(w: &str) -> String {
    let mut c = w.chars();
    c.next().map_or_else(String::new, |f| f.to_ascii_uppercase().to_string() + c.as_str())
}

/// `InvoiceLine`: a type name of one or two nouns.
pub(super) fn pascal(r: &mut Rng) -> String {
    if r.chance(0.5) {
        cap(noun(r))
    } else {
        cap(noun(r)) + &cap(noun(r))
    }
}

/// `invoiceLine`.
pub(super) fn camel(r: &mut Rng) -> String {
    let a = noun(r);
    if r.chance(0.5) {
        a.to_string()
    } else {
        a.to_string() + &cap(noun(r))
    }
}

/// `invoice_line`.
pub(super) fn snake(r: &mut Rng) -> String {
    let a = noun(r);
    if r.chance(0.5) {
        a.to_string()
    } else {
        format!("{a}_{}", noun(r))
    }
}

/// A sentence of comment prose, capitalised, ending in a full stop.
pub(super) fn sentence(r: &mut Rng) -> String {
    let n = r.range(5, 15);
    let mut s = String::with_capacity(n * 7);
    for i in 0..n {
        let w = match r.below(5) {
            0 => noun(r),
            1 => verb(r),
            _ => *r.pick(PROSE),
        };
        if i == 0 {
            s.push_str(&cap(w));
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

/// A log-normal size: most near `median`, a long tail, within `lo..=hi`.
pub(super) fn lognormal(r: &mut Rng, median: f64, sigma: f64, lo: usize, hi: usize) -> usize {
    let u1 = r.f64().max(1e-12);
    let u2 = r.f64();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    ((median * (sigma * z).exp()) as usize).clamp(lo, hi)
}

/// How many imports a source file has: a few at least, rarely many, a
/// test file half as many.
pub(super) fn import_count(r: &mut Rng, test: bool) -> usize {
    let n = 3 + (r.f64().powf(1.6) * 23.0) as usize;
    if test {
        n.div_ceil(2).max(3)
    } else {
        n
    }
}

/// Random lowercase hex digits, as in hashes of lock files.
pub(super) fn hex(r: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n + 16);
    while s.len() < n {
        w!(s, "{:016x}", r.next_u64());
    }
    s.truncate(n);
    s
}

/// Random base64 text, as in checksums.
pub(super) fn base64(r: &mut Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n).map(|_| ALPHABET[r.below(64)] as char).collect()
}
