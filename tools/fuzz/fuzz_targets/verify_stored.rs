//! `verify` over arbitrary stored bytes: a small ledger is made once; each
//! input is written, as a forger with the files would, into a copy of it
//! (the first byte picks the tree — events, texts, txs or meta — the
//! second the key, the rest is the stored value), and then the store is
//! opened for verify and checked in full (`integrity::verify`). Whatever
//! the bytes, verify reports, never panics.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use planledger::command::Command;
use planledger::id::{ActionId, PlanId};
use planledger::integrity;
use planledger::ledger::{Ledger, Stamped};
use planledger::store::Store;
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

fuzz_target!(|data: &[u8]| {
    let [tree, key, value @ ..] = data else {
        return;
    };
    let (_, template) = template();
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("ledger");
    copy_dir(template, &dir);
    {
        let db = sled::open(dir.join("sled")).expect("the copy opens");
        let name = ["events", "texts", "txs", "meta"][usize::from(*tree % 4)];
        let tree = db.open_tree(name).expect("a tree");
        let key: Vec<u8> = match name {
            // The meta tree's keys are names; the others' are sequence
            // numbers (and, past 8, a key of another length).
            "meta" => ["format_version", "head", "rewrite", "other"][usize::from(*key % 4)]
                .as_bytes()
                .to_vec(),
            _ if *key >= 200 => vec![*key; usize::from(*key - 199)],
            _ => u64::from(*key % 8).to_be_bytes().to_vec(),
        };
        tree.insert(key, value).expect("written");
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
