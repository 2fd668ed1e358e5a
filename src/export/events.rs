//! `export --format events`: the chain as JSON Lines, one event a line.
//!
//! Each line carries `seq`, `prev`, `hash` and `record` (hex of the exact
//! stored record bytes), so anyone can re-check the chain with a BLAKE3
//! library and `ledger/FORMAT.md`, plus the decoded fields for reading.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::event::{ClockNote, Event, Record, ids};
use crate::export::json::{evidence_json, target_json};
use crate::store::StoredEvent;
use crate::time::format_micros;

/// Writes one JSON line per event.
pub fn write_jsonl(events: &[StoredEvent], out: &mut dyn Write) -> io::Result<()> {
    for event in events {
        serde_json::to_writer(&mut *out, &line(event))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The JSON object for one stored event.
pub fn line(event: &StoredEvent) -> Value {
    let record: &Record = &event.record;
    json!({
        "seq": event.seq,
        "prev": hex::encode(event.prev),
        "hash": hex::encode(event.hash),
        "record": hex::encode(&event.bytes),
        "tx": record.tx,
        "recorded_at": format_micros(record.recorded_at),
        "recorded_at_micros": record.recorded_at,
        "clock": match record.clock {
            ClockNote::System => json!({"kind": "system"}),
            ClockNote::Overridden => json!({"kind": "overridden"}),
            ClockNote::HeldAtHead { clock_read } => json!({"kind": "held_at_head", "clock_read": format_micros(clock_read)}),
        },
        "actor": record.actor,
        "effective": record.effective.map(|d| d.to_string()),
        "source": record.source.as_ref().map(|s| json!({"import_seq": s.import_seq, "locator": s.locator})),
        "event": event_json(&record.event),
    })
}

/// An event's own fields, with its type name.
pub fn event_json(event: &Event) -> Value {
    let mut fields = match event {
        Event::LedgerCreated {
            ledger_id,
            format_version,
        } => json!({"ledger_id": hex::encode(ledger_id), "format_version": format_version}),
        Event::PlanAdded {
            plan,
            partnership,
            review,
            chair,
            published,
        } => json!({
            "plan": ids::plan(*plan), "partnership": partnership, "review": review,
            "chair": chair, "published": published.map(|d| d.to_string()),
        }),
        Event::RecommendationAdded {
            plan,
            number,
            text,
            scope,
        } => json!({"plan": ids::plan(*plan), "number": number, "text": text, "scope": scope}),
        Event::ActionAdded {
            action,
            plan,
            agency,
            lead,
            text,
            scope,
            recommendations,
            target,
        } => json!({
            "action": ids::action(*action), "plan": ids::plan(*plan), "agency": agency, "lead": lead,
            "text": text, "scope": scope,
            "recommendations": recommendations.iter().map(|n| ids::recommendation(*n)).collect::<Vec<_>>(),
            "target": target.as_ref().map(target_json),
        }),
        Event::StatusChanged {
            action,
            from,
            to,
            reason,
        } => {
            json!({"action": ids::action(*action), "from": from.as_str(), "to": to.as_str(), "reason": reason})
        }
        Event::MilestoneNoted { action, note } => {
            json!({"action": ids::action(*action), "note": note})
        }
        Event::CompletionClaimed {
            action,
            claim,
            outcome,
            evidence,
        } => json!({
            "action": ids::action(*action), "claim": claim, "outcome": outcome,
            "evidence": evidence.iter().map(evidence_json).collect::<Vec<_>>(),
        }),
        Event::ClaimAccepted {
            action,
            claim,
            finding,
        }
        | Event::ClaimChallenged {
            action,
            claim,
            finding,
        } => {
            json!({"action": ids::action(*action), "claim": claim, "finding": finding})
        }
        Event::ActionWithdrawn {
            action,
            from,
            reason,
        } => {
            json!({"action": ids::action(*action), "from": from.as_str(), "reason": reason})
        }
        Event::TargetChanged {
            action,
            from,
            to,
            reason,
        } => json!({
            "action": ids::action(*action),
            "from": from.as_ref().map(target_json),
            "to": to.as_ref().map(target_json),
            "reason": reason,
        }),
        Event::SourceImported {
            name,
            size,
            blake3,
            format,
        } => json!({"name": name, "size": size, "blake3": hex::encode(blake3), "format": format}),
        Event::ImportWarning { action, message } => {
            json!({"action": action.map(ids::action), "message": message})
        }
    };
    if let Value::Object(map) = &mut fields {
        map.insert("type".into(), Value::String(event.kind().into()));
    }
    fields
}
