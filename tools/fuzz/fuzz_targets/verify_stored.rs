//! `verify` over arbitrary stored bytes: a small ledger is made once; each
//! input is written, as a forger with the files would, into a copy of it
//! (the first byte picks what is written — one event's stored value inside
//! its block, a whole block of the events tree, the txs tree, meta, or
//! (bit 0x40 set) the snapshot tree, whose template holds one snapshot —
//! the second the key, the rest is the stored value; or, from a first byte
//! of 128 up, several such writes, whose keys may be any sequence number,
//! see [`writes`]), and then the store is opened for verify and checked in
//! full (`integrity::verify`). Whatever the bytes, verify reports, never
//! panics or hangs.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use planledger::command::Command;
use planledger::id::{ActionId, PlanId};
use planledger::integrity;
use planledger::ledger::{Ledger, Stamped};
use planledger::store::{Store, block};
use planledger::time::FixedClock;

/// The template ledger, made once per fuzzing process.
fn template() -> &'static (tempfile::TempDir, PathBuf) {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path().join("ledger");
        let clock = Arc::new(FixedClock::new(1_609_459_200_000_000));
        let mut ledger = Ledger::init(&dir, "Fuzzer", clock.clone()).expect("a new ledger");
        let commands = [
            Command::AddPlan {
                partnership: "Fuzz CSP".into(),
                review: "Fuzz".into(),
                chair: None,
                published: None,
            },
            Command::AddAction {
                plan: PlanId::of(1),
                agency: "Police".into(),
                lead: None,
                text: "Train staff".into(),
                scope: None,
                recommendations: Vec::new(),
                target: None,
            },
            Command::NoteMilestone {
                action: ActionId::of(1),
                note: "First cohort trained".into(),
            },
        ];
        for command in commands {
            clock.advance_secs(60);
            ledger
                .transact("Fuzzer", "fuzz", vec![Stamped::from(command)])
                .expect("the template transaction is recorded");
        }
        planledger::snapshot::save(ledger.store(), ledger.state())
            .expect("the template's snapshot is written");
        drop(ledger);
        wait_for_sled_release(&dir.join("sled"));
        (tmp, dir)
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("made");
    for entry in std::fs::read_dir(from).expect("listed") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
        }
    }
}

/// sled 0.34.7 lets go of its `db` lock a moment after the `Db` is dropped.
fn wait_for_sled_release(sled_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(file) = std::fs::File::open(sled_dir.join("db")) {
        if file.try_lock().is_ok() || Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The key `key` picks in tree `name`. The meta tree's keys are names;
/// the snapshot tree's a manifest, a run's part, a header or a headed
/// snapshot's part (`key % 4`) of snapshot `key / 4 % 8`, part `key / 32`;
/// the others' are sequence numbers 0–7, or (200 and up) a key of another
/// length, or (100–199, in the format of several writes) the sequence
/// number the next 8 bytes spell, however far past the head.
fn key_of(name: &str, key: u8, wide: &mut &[u8]) -> Option<Vec<u8>> {
    Some(match name {
        "meta" => ["format_version", "head", "rewrite", "other"][usize::from(key % 4)]
            .as_bytes()
            .to_vec(),
        "snapshot_parts" => {
            let seq = u64::from(key / 4 % 8).to_be_bytes();
            let part = u32::from(key / 32).to_be_bytes();
            match key % 4 {
                0 => [&b"m"[..], &seq].concat(),
                1 => [&b"q"[..], &seq, &part].concat(),
                2 => [&b"h"[..], &seq].concat(),
                _ => [&b"p"[..], &seq, &part].concat(),
            }
        }
        _ if key >= 200 => vec![key; usize::from(key - 199)],
        _ if (100..200).contains(&key) => {
            let (seq, rest) = wide.split_first_chunk::<8>()?;
            *wide = rest;
            seq.to_vec()
        }
        _ => u64::from(key % 8).to_be_bytes().to_vec(),
    })
}

/// What the first byte picks: `event` is one event's stored value,
/// written into its block (format 3 keeps 16 events a key) with the rest
/// of the block as it was; `events` is the block itself, bytes as given.
const TREES: [&str; 4] = ["event", "events", "txs", "meta"];

/// The tree a write's first byte picks: the snapshot tree when bit 0x40
/// is set, else one of [`TREES`].
fn tree_of(byte: u8) -> &'static str {
    if byte & 0x40 != 0 {
        "snapshot_parts"
    } else {
        TREES[usize::from(byte % 4)]
    }
}

/// Writes `value` as the stored value of event `key` (a seq) inside its
/// block, keeping the block's other events and the event's texts; a seq
/// past the block's end is added after its last event.
fn write_event(events: &sled::Tree, key: &[u8], value: &[u8]) {
    let Ok(seq) = <[u8; 8]>::try_from(key).map(u64::from_be_bytes) else {
        events.insert(key, value).expect("written");
        return;
    };
    let first = block::block_key(seq);
    let stored = events.get(first.to_be_bytes()).expect("read");
    let stored = stored.as_deref().unwrap_or_default();
    let mut bytes = Vec::new();
    let mut written = false;
    for entry in block::entries(first, stored) {
        let Ok(entry) = entry else { break };
        let texts = entry.texts.map(|t| &stored[t]);
        if entry.seq == seq {
            block::push(&mut bytes, value, texts);
            written = true;
        } else {
            block::push(&mut bytes, &stored[entry.value], texts);
        }
    }
    if !written {
        block::push(&mut bytes, value, None);
    }
    events.insert(first.to_be_bytes(), bytes).expect("written");
}

/// The writes an input asks for: `tree key value...`, one write of the
/// rest as its value; or, when the first byte is 128 or more, several,
/// each `tree key [8 bytes of a wide key] length value[length]`.
fn writes(data: &[u8]) -> Vec<(&'static str, Vec<u8>, &[u8])> {
    let mut writes = Vec::new();
    match data {
        [tree, key, value @ ..] if *tree < 128 => {
            let name = tree_of(*tree);
            let mut none: &[u8] = &[];
            let key = match key_of(name, *key, &mut none) {
                Some(key) => key,
                None => u64::from(*key % 8).to_be_bytes().to_vec(),
            };
            writes.push((name, key, value));
        }
        _ => {
            let mut rest = data;
            while let [tree, key, more @ ..] = rest {
                let name = tree_of(*tree);
                let mut more = more;
                let Some(key) = key_of(name, *key, &mut more) else {
                    break;
                };
                let Some((&len, more)) = more.split_first() else {
                    break;
                };
                let len = usize::from(len).min(more.len());
                writes.push((name, key, &more[..len]));
                rest = &more[len..];
            }
        }
    }
    writes
}

fuzz_target!(|data: &[u8]| {
    let writes = writes(data);
    if writes.is_empty() {
        return;
    }
    let (_, template) = template();
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("ledger");
    copy_dir(template, &dir);
    {
        let db = sled::open(dir.join("sled")).expect("the copy opens");
        for (name, key, value) in writes {
            if name == "event" {
                let events = db.open_tree("events").expect("a tree");
                write_event(&events, &key, value);
                continue;
            }
            let tree = db.open_tree(name).expect("a tree");
            tree.insert(key, value).expect("written");
        }
        db.flush().expect("flushed");
    }
    wait_for_sled_release(&dir.join("sled"));
    match Store::open_for_verify(&dir) {
        Ok(store) => {
            let _ = integrity::verify(&store);
        }
        Err(_) => {}
    }
});
