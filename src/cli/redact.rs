//! `planledger redact SEQ [--field NAME]... --reason TEXT`: erase free
//! texts of an event that should never have been written (a relative's
//! name in a note), keeping the event, its structure and its proof.
//!
//! The command turns field names into the event's text slots
//! (`command::redaction_slots`) and records one `Redacted` event through
//! `Ledger::transact`, like every other command: the rule book decides
//! whether it may be made, and the store erases the words in the same
//! transaction and rewrites its files without them before this prints.

use std::io::Write;

use crate::command::{Command, redaction_slots};
use crate::ledger::{Ledger, LedgerError, Stamped};
use crate::query::audit::texts_in_words;
use crate::rules::Refusal;
use crate::text::{self, visible};

use super::{CliError, Context, report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sequence number of the event whose words to erase (the 'seq'
    /// column of 'audit' and 'history')
    seq: u64,
    /// A text of the event to erase (repeatable): note, outcome, reason,
    /// finding, text, scope, lead, review, chair, name, message, or
    /// evidence.N for the name of its Nth evidence file; without it, every
    /// text of the event
    #[arg(long = "field", value_name = "NAME")]
    fields: Vec<String>,
    /// Why the words are erased, without repeating them; shown wherever
    /// they were, for good
    #[arg(long)]
    reason: String,
}

pub fn run(
    ledger: &mut Ledger,
    context: &Context,
    args: &Args,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    text::all_typed(&[("--reason", &args.reason)]).map_err(|e| CliError::Input(e.to_string()))?;
    for field in &args.fields {
        text::all_typed(&[("--field", field)]).map_err(|e| CliError::Input(e.to_string()))?;
    }
    let key = context.signing_key()?;
    let author = context.author(ledger, key.as_ref())?;
    let target = args.seq;
    let refused = |refusal: Refusal| CliError::Ledger(LedgerError::Refused(refusal));
    let Some((_, record)) = ledger.store().event_at(target)? else {
        return Err(refused(Refusal::RedactNoSuchEvent { target }));
    };
    let slots =
        redaction_slots(ledger.state(), target, &record.event, &args.fields).map_err(refused)?;
    let names = record.event.slot_names();
    let named = |slots: &[u32]| {
        let chosen: Vec<String> = slots
            .iter()
            .filter_map(|&slot| names.get(slot as usize).cloned())
            .collect();
        texts_in_words(&chosen)
    };
    let receipt = ledger
        .transact_as(
            author,
            &format!("redact {target}"),
            vec![Stamped::from(Command::Redact {
                event: target,
                slots: slots.clone(),
                reason: args.reason.clone(),
            })],
        )
        .map_err(|e| match e {
            // The rule book counts texts by slot; a person named them.
            LedgerError::Refused(Refusal::RedactedTwice { target, slot, by }) => {
                CliError::Input(format!(
                    "the {} of event {target} was already redacted by event {by}",
                    named(&[slot])
                ))
            }
            e => CliError::Ledger(e),
        })?;
    let kind = record.event.kind();
    let subject = ledger
        .store()
        .subject_at(target)?
        .filter(|s| s.plan.is_some() || s.action.is_some())
        .map_or(String::new(), |s| format!(", {s}"));
    writeln!(
        out,
        "Redacted the {} of event {target} ({kind}{subject})",
        named(&slots)
    )?;
    if let Some((_, now)) = ledger.store().event_at(target)?
        && let Some(first) = slots.first()
        && let Some(placeholder) = now.event.texts().get(*first as usize)
    {
        writeln!(out, "it now reads: {}", visible(placeholder))?;
    }
    report(&receipt, out)?;
    writeln!(
        out,
        "the ledger's files were rewritten without the erased words"
    )?;
    Ok(())
}
