//! `export --format events`: the chain as JSON Lines, one event a line.
//!
//! Each line carries `seq`, `prev`, `hash` and `record` (hex of the exact
//! stored record bytes), so anyone can re-check the chain with a BLAKE3
//! library and `ledger/FORMAT.md`, plus the decoded fields for reading.
//! This is the on-disk format's own shape, so it is built here rather than
//! in `wire` (which shapes the `--json` outputs): a field added to a
//! `--json` shape never changes an exported chain.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::chain::Subject;
use crate::date::Target;
use crate::event::{Amendment, ClockNote, Event, Evidence, LinkBasis, Record};
use crate::sealed::StoredText;
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
        "subject": subject_json(event.subject),
        "digest": hex::encode(crate::chain::record_digest(&event.bytes)),
        "record": hex::encode(&event.bytes),
        "texts": event.texts.iter().map(text_json).collect::<Vec<_>>(),
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
            "plan": plan.to_string(), "partnership": partnership, "review": review,
            "chair": chair, "published": published.map(|d| d.to_string()),
        }),
        Event::RecommendationAdded {
            plan,
            number,
            text,
            scope,
        } => json!({"plan": plan.to_string(), "number": number, "text": text, "scope": scope}),
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
            "action": action.to_string(), "plan": plan.to_string(), "agency": agency, "lead": lead,
            "text": text, "scope": scope,
            "recommendations": recommendations.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            "target": target.as_ref().map(target_json),
        }),
        Event::StatusChanged {
            action,
            from,
            to,
            reason,
        } => {
            json!({"action": action.to_string(), "from": from.as_str(), "to": to.as_str(), "reason": reason})
        }
        Event::MilestoneNoted { action, note } => {
            json!({"action": action.to_string(), "note": note})
        }
        Event::CompletionClaimed {
            action,
            claim,
            outcome,
            evidence,
        } => json!({
            "action": action.to_string(), "claim": claim, "outcome": outcome,
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
            json!({"action": action.to_string(), "claim": claim, "finding": finding})
        }
        Event::ActionWithdrawn {
            action,
            from,
            reason,
        } => {
            json!({"action": action.to_string(), "from": from.as_str(), "reason": reason})
        }
        Event::TargetChanged {
            action,
            from,
            to,
            reason,
        } => json!({
            "action": action.to_string(),
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
            json!({"action": action.map(|a| a.to_string()), "message": message})
        }
        Event::Redacted {
            event,
            slots,
            reason,
        } => json!({"event": event, "slots": slots, "reason": reason}),
        Event::LedgerUpgraded {
            ledger_id,
            format_version,
            from_ledger_id,
            from_format_version,
            from_head_hash,
            from_events,
        } => json!({
            "ledger_id": hex::encode(ledger_id), "format_version": format_version,
            "from_ledger_id": hex::encode(from_ledger_id),
            "from_format_version": from_format_version,
            "from_head_hash": hex::encode(from_head_hash), "from_events": from_events,
        }),
        Event::ActionLinked {
            action,
            recommendations,
            basis,
            note,
        } => json!({
            "action": action.to_string(),
            "recommendations": recommendations.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            "basis": basis_json(*basis),
            "note": note,
        }),
        Event::ActionAmended {
            action,
            changes,
            reason,
        } => json!({
            "action": action.to_string(),
            "changes": changes.iter().map(amendment_json).collect::<Vec<_>>(),
            "reason": reason,
        }),
        Event::ActorAdded { name, roles, key } => json!({
            "name": name,
            "roles": roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "key": hex::encode(key),
        }),
        Event::KeyRotated { name, key } => json!({"name": name, "key": hex::encode(key)}),
        Event::ActorRevoked { name, reason } => json!({"name": name, "reason": reason}),
        Event::RequestSigned {
            key,
            request,
            signature,
        } => json!({
            "key": hex::encode(key),
            "request": hex::encode(request),
            "signature": hex::encode(signature.to_bytes()),
        }),
    };
    if let Value::Object(map) = &mut fields {
        map.insert("type".into(), Value::String(event.kind().name().into()));
    }
    fields
}

/// An event's subject: `{"plan": "P1" or null, "action": "A3" or null}`.
pub fn subject_json(subject: Subject) -> Value {
    json!({
        "plan": subject.plan.map(|p| p.to_string()),
        "action": subject.action.map(|a| a.to_string()),
    })
}

/// One stored text: `{"salt", "words"}`, or `{"erased_by"}`.
pub fn text_json(text: &StoredText) -> Value {
    match text {
        StoredText::Words { salt, words } => json!({"salt": hex::encode(salt), "words": words}),
        StoredText::Erased { by } => json!({"erased_by": by}),
    }
}

fn target_json(target: &Target) -> Value {
    json!({
        "text": target.text,
        "date": target.date.map(|d| d.to_string()),
        "precision": target.date.map(|d| d.precision().as_str()),
    })
}

/// `{"kind": "wording", "shared_percent": 56}`, `{"kind": "stated"}` or
/// `{"kind": "own"}`.
fn basis_json(basis: LinkBasis) -> Value {
    match basis {
        LinkBasis::Wording { shared_percent } => {
            json!({"kind": basis.name(), "shared_percent": shared_percent})
        }
        LinkBasis::Stated | LinkBasis::Own => json!({"kind": basis.name()}),
    }
}

/// `{"field": "lead", "lead": …}`: the field's name, and its new value under
/// that name.
fn amendment_json(change: &Amendment<String>) -> Value {
    let field = change.kind().name();
    let value = match change {
        Amendment::Text(text) => json!(text),
        Amendment::Lead(text) | Amendment::Scope(text) => json!(text),
        Amendment::Agency(agency) => json!(agency),
    };
    let mut object = serde_json::Map::new();
    object.insert("field".into(), json!(field));
    object.insert(field.into(), value);
    Value::Object(object)
}

fn evidence_json(evidence: &Evidence) -> Value {
    json!({"name": evidence.name, "size": evidence.size, "blake3": hex::encode(evidence.blake3)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::{Command, Stamped};
    use crate::chain::{self, GENESIS_PREV};
    use crate::codec;
    use crate::date::{FuzzyDate, Target};
    use crate::event::EventKind;
    use crate::event::Role;
    use crate::event::{Amendment, Evidence, LinkBasis, SourceRef};
    #[allow(unused_imports)]
    use crate::id::{ActionId, ClaimNo, PlanId, RecId};
    use crate::projection::State;
    use crate::request::{RequestHead, SignedRequest};
    use crate::sealed::{self, Erasure};
    use crate::status::Status;
    use ed25519_dalek::SigningKey;

    /// One golden transaction: recorded time, clock, actor, and its events
    /// with their effective dates and sources.
    type GoldenTx = (
        i64,
        ClockNote,
        &'static str,
        Vec<(Option<FuzzyDate>, Option<SourceRef>, Event)>,
    );

    /// A fixed chain with one event of every type, every clock note, every
    /// status, every precision, and transactions of one and of several
    /// events. The moves it makes are all legal.
    fn golden_chain() -> Vec<StoredEvent> {
        use Status::*;
        const T0: i64 = 1_600_000_000_000_000;
        const SECOND: i64 = 1_000_000;
        let month = FuzzyDate::month(2019, 7);
        let july = Some(Target {
            text: "July 2019".into(),
            date: month,
        });
        let status = |action: u32, from, to, reason: &str| Event::StatusChanged {
            action: ActionId::of(action),
            from,
            to,
            reason: reason.into(),
        };
        let add_action = |action: u32, agency: &str, target| Event::ActionAdded {
            action: ActionId::of(action),
            plan: PlanId::of(1),
            agency: agency.into(),
            lead: None,
            text: format!("Action {action}"),
            scope: None,
            recommendations: vec![],
            target,
        };
        let source = |locator: &str| {
            Some(SourceRef {
                import_seq: 3,
                locator: locator.into(),
            })
        };
        // (tx, recorded_at, clock, actor, effective, source, event)
        let txs: Vec<GoldenTx> = vec![
            (
                T0,
                ClockNote::Overridden,
                "Admin",
                vec![(
                    None,
                    None,
                    Event::LedgerCreated {
                        ledger_id: [0x11; 16],
                        format_version: 2,
                    },
                )],
            ),
            (
                T0 + SECOND,
                ClockNote::Overridden,
                "Assurance Lead",
                vec![
                    (
                        None,
                        None,
                        Event::PlanAdded {
                            plan: PlanId::of(1),
                            partnership: "West Oxfordshire Community Safety Partnership".into(),
                            review: "Alice".into(),
                            chair: Some("Deborah Jeremiah".into()),
                            published: FuzzyDate::month(2019, 10),
                        },
                    ),
                    (
                        None,
                        None,
                        Event::RecommendationAdded {
                            plan: PlanId::of(1),
                            number: RecId::of(1),
                            text: "Record offences on NICHE.".into(),
                            scope: Some("Local".into()),
                        },
                    ),
                ],
            ),
            (
                T0 + 2 * SECOND,
                ClockNote::System,
                "Assurance Lead",
                vec![
                    (
                        None,
                        None,
                        Event::SourceImported {
                            name: "plan.txt".into(),
                            size: 24457,
                            blake3: [0x22; 32],
                            format: "text".into(),
                        },
                    ),
                    (
                        None,
                        source("THAMES VALLEY POLICE, row 1"),
                        Event::ActionAdded {
                            action: ActionId::of(1),
                            plan: PlanId::of(1),
                            agency: "Thames Valley Police".into(),
                            lead: Some("TVP Marac Co-ordinators".into()),
                            text: "Update Niche — the record management system.".into(),
                            scope: Some("Local".into()),
                            recommendations: vec![RecId::of(1), RecId::of(11)],
                            target: july.clone(),
                        },
                    ),
                    (
                        None,
                        source("THAMES VALLEY POLICE, row 1"),
                        Event::ImportWarning {
                            action: Some(ActionId::of(1)),
                            message: "cites R11".into(),
                        },
                    ),
                    (
                        None,
                        source("HOUSING, after row 8"),
                        Event::ImportWarning {
                            action: None,
                            message: "kept as a note".into(),
                        },
                    ),
                ],
            ),
            // The system clock read earlier than the head: the head's time is used.
            (
                T0 + 2 * SECOND,
                ClockNote::HeldAtHead {
                    clock_read: T0 + SECOND / 2,
                },
                "Agency Lead",
                vec![(None, None, status(1, Open, InProgress, "started"))],
            ),
            (
                T0 + 3 * SECOND,
                ClockNote::System,
                "Agency Lead",
                vec![(
                    FuzzyDate::day(2019, 6, 5),
                    None,
                    Event::MilestoneNoted {
                        action: ActionId::of(1),
                        note: "Agreed at MARAC".into(),
                    },
                )],
            ),
            (
                T0 + 4 * SECOND,
                ClockNote::System,
                "Agency Lead",
                vec![(
                    FuzzyDate::day(2019, 6, 5),
                    None,
                    Event::CompletionClaimed {
                        action: ActionId::of(1),
                        claim: ClaimNo::of(1),
                        outcome: "Process updated.".into(),
                        evidence: vec![Evidence {
                            name: "minutes.pdf".into(),
                            size: 1234,
                            blake3: [0x33; 32],
                        }],
                    },
                )],
            ),
            (
                T0 + 5 * SECOND,
                ClockNote::System,
                "Assurance Lead",
                vec![(
                    None,
                    None,
                    Event::ClaimChallenged {
                        action: ActionId::of(1),
                        claim: ClaimNo::of(1),
                        finding: "No minutes".into(),
                    },
                )],
            ),
            (
                T0 + 6 * SECOND,
                ClockNote::System,
                "Agency Lead",
                vec![(
                    None,
                    None,
                    Event::CompletionClaimed {
                        action: ActionId::of(1),
                        claim: ClaimNo::of(2),
                        outcome: "Minutes attached.".into(),
                        evidence: vec![],
                    },
                )],
            ),
            (
                T0 + 7 * SECOND,
                ClockNote::System,
                "Assurance Lead",
                vec![(
                    None,
                    None,
                    Event::ClaimAccepted {
                        action: ActionId::of(1),
                        claim: ClaimNo::of(2),
                        finding: "Seen".into(),
                    },
                )],
            ),
            (
                T0 + 8 * SECOND,
                ClockNote::System,
                "Assurance Lead",
                vec![(
                    FuzzyDate::year(2020),
                    None,
                    Event::TargetChanged {
                        action: ActionId::of(1),
                        from: july,
                        to: Some(Target {
                            text: "End of 2020".into(),
                            date: FuzzyDate::year(2020),
                        }),
                        reason: "re-planned".into(),
                    },
                )],
            ),
            (
                T0 + 9 * SECOND,
                ClockNote::System,
                "Assurance Lead",
                vec![
                    (None, None, add_action(2, "Oxford Health", None)),
                    (
                        None,
                        None,
                        Event::TargetChanged {
                            action: ActionId::of(2),
                            from: None,
                            to: Some(Target {
                                text: "16.11.2021".into(),
                                date: FuzzyDate::day(2021, 11, 16),
                            }),
                            reason: "agreed".into(),
                        },
                    ),
                    (None, None, status(2, Open, Embedded, "now usual practice")),
                    (None, None, status(2, Embedded, InProgress, "lapsed")),
                    (None, None, add_action(3, "A2Dominion", None)),
                    (
                        None,
                        None,
                        Event::CompletionClaimed {
                            action: ActionId::of(3),
                            claim: ClaimNo::of(1),
                            outcome: "Done".into(),
                            evidence: vec![],
                        },
                    ),
                    (
                        None,
                        None,
                        Event::ActionWithdrawn {
                            action: ActionId::of(3),
                            from: Claimed,
                            reason: "superseded".into(),
                        },
                    ),
                    (None, None, status(3, Withdrawn, Open, "reinstated")),
                ],
            ),
            (
                T0 + 10 * SECOND,
                ClockNote::System,
                "Assurance Lead",
                vec![
                    (
                        None,
                        None,
                        Event::ActionWithdrawn {
                            action: ActionId::of(2),
                            from: InProgress,
                            reason: "no longer a workstream".into(),
                        },
                    ),
                    (None, None, status(1, Assured, InProgress, "reopened")),
                    (
                        None,
                        None,
                        Event::CompletionClaimed {
                            action: ActionId::of(1),
                            claim: ClaimNo::of(3),
                            outcome: "Redone".into(),
                            evidence: vec![],
                        },
                    ),
                    (
                        None,
                        None,
                        Event::ClaimChallenged {
                            action: ActionId::of(1),
                            claim: ClaimNo::of(3),
                            finding: "Not yet".into(),
                        },
                    ),
                    (
                        None,
                        None,
                        status(1, Challenged, InProgress, "back to work"),
                    ),
                ],
            ),
            // A link stated by a person, replacing what A1 cited; then an
            // amendment of every kind, a lead and a scope removed.
            (
                T0 + 10 * SECOND + SECOND / 2,
                ClockNote::System,
                "Assurance Lead",
                vec![
                    (
                        None,
                        None,
                        Event::ActionLinked {
                            action: ActionId::of(1),
                            recommendations: vec![RecId::of(1)],
                            basis: LinkBasis::Stated,
                            note: Some("R11 was a slip for R1".into()),
                        },
                    ),
                    (
                        FuzzyDate::month(2020, 9),
                        None,
                        Event::ActionAmended {
                            action: ActionId::of(1),
                            changes: vec![
                                Amendment::Text("Update Niche for every MARAC referral.".into()),
                                Amendment::Lead(None),
                                Amendment::Agency("Thames Valley Police (MARAC)".into()),
                                Amendment::Scope(None),
                            ],
                            reason: "the co-ordinators' team took it over".into(),
                        },
                    ),
                    (
                        None,
                        None,
                        Event::ActionLinked {
                            action: ActionId::of(2),
                            recommendations: vec![],
                            basis: LinkBasis::Own,
                            note: Some("OHFT to raise awareness of domestic abuse".into()),
                        },
                    ),
                    (
                        None,
                        None,
                        Event::ActionLinked {
                            action: ActionId::of(3),
                            recommendations: vec![RecId::of(1)],
                            basis: LinkBasis::Wording { shared_percent: 56 },
                            note: None,
                        },
                    ),
                    (
                        None,
                        None,
                        Event::ActionAmended {
                            action: ActionId::of(2),
                            changes: vec![
                                Amendment::Lead(Some("Safeguarding Team".into())),
                                Amendment::Scope(Some("Local".into())),
                            ],
                            reason: "named in the plan's second version".into(),
                        },
                    ),
                ],
            ),
            // The milestone note (event 8) named someone it should not have.
            (
                T0 + 11 * SECOND,
                ClockNote::System,
                "Data Protection Officer",
                vec![(
                    None,
                    None,
                    Event::Redacted {
                        event: 8,
                        slots: vec![0],
                        reason: "named a relative".into(),
                    },
                )],
            ),
        ];
        let mut chain = GoldenChain::default();
        for tx in txs {
            chain.unsigned(tx);
        }
        for tx in signed_section(T0 + 12 * SECOND) {
            chain.signed(tx);
        }
        chain.events
    }

    /// The golden chain's signed section, from `t`: the ledger adopts keys
    /// (an admin adds themselves, an assurance lead and an agency lead);
    /// the agency notes and claims on its own action; it replaces its key;
    /// assurance accepts; the admin revokes the assurance lead and redacts
    /// the agency's note; then a return the agency made without the ledger,
    /// signed with its new key, is applied.
    fn signed_section(t: i64) -> Vec<SignedTx> {
        const SECOND: i64 = 1_000_000;
        const A3: ActionId = ActionId::of(3);
        let actor = |name: &str, role: Role, seed: u8| Command::AddActor {
            name: name.into(),
            roles: vec![role],
            key: golden_key(seed).verifying_key().to_bytes(),
        };
        vec![
            SignedTx {
                recorded_at: t,
                lead: vec![],
                seed: ADMIN,
                signer: "Admin",
                seen: true,
                made_at: t - 60 * SECOND,
                commands: vec![
                    actor("Admin", Role::Admin, ADMIN).into(),
                    actor("Assurance Lead", Role::Assurance, ASSURANCE).into(),
                    actor("Agency Lead", Role::Agency("A2Dominion".into()), AGENCY).into(),
                ],
            },
            SignedTx {
                recorded_at: t + SECOND,
                lead: vec![],
                seed: AGENCY,
                signer: "Agency Lead",
                seen: true,
                made_at: t + SECOND / 2,
                commands: vec![
                    Stamped {
                        command: Command::NoteMilestone {
                            action: A3,
                            note: "Housing officers briefed by Sam Jones".into(),
                        },
                        effective: FuzzyDate::month(2020, 9),
                        source: None,
                    },
                    Command::Claim {
                        action: A3,
                        outcome: "Briefing log kept".into(),
                        evidence: vec![Evidence {
                            name: "briefing-log.xlsx".into(),
                            size: 2048,
                            blake3: [0x44; 32],
                        }],
                    }
                    .into(),
                ],
            },
            SignedTx {
                recorded_at: t + 2 * SECOND,
                lead: vec![],
                seed: AGENCY,
                signer: "Agency Lead",
                seen: true,
                made_at: t + 2 * SECOND,
                commands: vec![
                    Command::RotateKey {
                        name: "Agency Lead".into(),
                        key: golden_key(AGENCY_NEW).verifying_key().to_bytes(),
                    }
                    .into(),
                ],
            },
            SignedTx {
                recorded_at: t + 3 * SECOND,
                lead: vec![],
                seed: ASSURANCE,
                signer: "Assurance Lead",
                seen: true,
                made_at: t + 3 * SECOND,
                commands: vec![
                    Command::Accept {
                        action: A3,
                        finding: "Seen the briefing log".into(),
                    }
                    .into(),
                ],
            },
            // The note (seq 38) named a tenant.
            SignedTx {
                recorded_at: t + 4 * SECOND,
                lead: vec![],
                seed: ADMIN,
                signer: "Admin",
                seen: true,
                made_at: t + 4 * SECOND,
                commands: vec![
                    Command::RevokeActor {
                        name: "Assurance Lead".into(),
                        reason: "left the partnership".into(),
                    }
                    .into(),
                    Command::Redact {
                        event: 38,
                        slots: vec![0],
                        reason: "named a tenant".into(),
                    }
                    .into(),
                ],
            },
            // Made away from the ledger before the revocation, applied after.
            SignedTx {
                recorded_at: t + 5 * SECOND,
                lead: vec![],
                seed: AGENCY_NEW,
                signer: "Agency Lead",
                seen: false,
                made_at: t + 2 * SECOND + SECOND / 2,
                commands: vec![
                    Command::SetStatus {
                        action: A3,
                        to: Status::InProgress,
                        reason: "refresher training booked".into(),
                    }
                    .into(),
                ],
            },
        ]
    }

    /// A ledger signed from its genesis: its first actor, an admin and
    /// assurance lead, signs transaction 0 after the `LedgerCreated`; then
    /// adds a plan, an action and an agency actor, whose role names the
    /// agency in other case and spacing; the agency notes a milestone.
    fn signed_genesis_chain() -> Vec<StoredEvent> {
        const T1: i64 = 1_640_000_000_000_000;
        const SECOND: i64 = 1_000_000;
        let txs = vec![
            SignedTx {
                recorded_at: T1,
                lead: vec![Event::LedgerCreated {
                    ledger_id: [0x22; 16],
                    format_version: 2,
                }],
                seed: CHAIR,
                signer: "Chair",
                seen: false,
                made_at: T1,
                commands: vec![
                    Command::AddActor {
                        name: "Chair".into(),
                        roles: vec![Role::Admin, Role::Assurance],
                        key: golden_key(CHAIR).verifying_key().to_bytes(),
                    }
                    .into(),
                ],
            },
            SignedTx {
                recorded_at: T1 + SECOND,
                lead: vec![],
                seed: CHAIR,
                signer: "Chair",
                seen: true,
                made_at: T1 + SECOND,
                commands: vec![
                    Command::AddPlan {
                        partnership: "Oxford Community Safety Partnership".into(),
                        review: "Bob".into(),
                        chair: None,
                        published: FuzzyDate::month(2021, 3),
                    }
                    .into(),
                    Command::AddAction {
                        plan: PlanId::of(1),
                        agency: "Turning Point".into(),
                        lead: Some("Service Manager".into()),
                        text: "Train all staff in DASH risk assessment.".into(),
                        scope: None,
                        recommendations: vec![],
                        target: None,
                    }
                    .into(),
                    Command::AddActor {
                        name: "Turning Point Lead".into(),
                        roles: vec![Role::Agency("turning  point".into())],
                        key: golden_key(TURNING_POINT).verifying_key().to_bytes(),
                    }
                    .into(),
                ],
            },
            SignedTx {
                recorded_at: T1 + 2 * SECOND,
                lead: vec![],
                seed: TURNING_POINT,
                signer: "Turning Point Lead",
                seen: true,
                made_at: T1 + 2 * SECOND,
                commands: vec![
                    Command::NoteMilestone {
                        action: ActionId::of(1),
                        note: "First session held".into(),
                    }
                    .into(),
                ],
            },
        ];
        let mut chain = GoldenChain::default();
        for tx in txs {
            chain.signed(tx);
        }
        chain.events
    }

    /// The seeds of the golden keys: fixed, so the vectors are too.
    const ADMIN: u8 = 0xa1;
    const ASSURANCE: u8 = 0xa2;
    const AGENCY: u8 = 0xa3;
    const AGENCY_NEW: u8 = 0xa4;
    const CHAIR: u8 = 0xb1;
    const TURNING_POINT: u8 = 0xb2;

    fn golden_key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// One golden signed transaction: `lead` events (the genesis, for a
    /// ledger signed from it), then a request signed with the key of
    /// `seed` by `signer`, having seen the head (`seen`) or not, made at
    /// `made_at`, and the events its commands draft.
    struct SignedTx {
        recorded_at: i64,
        lead: Vec<Event>,
        seed: u8,
        signer: &'static str,
        seen: bool,
        made_at: i64,
        commands: Vec<Stamped>,
    }

    /// A golden chain as it is built: the events so far, the state they
    /// fold to, and the salts drawn.
    #[derive(Default)]
    struct GoldenChain {
        events: Vec<StoredEvent>,
        state: State,
        salts: u64,
        tx: u64,
    }

    impl GoldenChain {
        /// Salts (and nonces) as a real ledger makes them, from a fixed key.
        fn salt(&mut self) -> [u8; 16] {
            self.salts += 1;
            let out = blake3::keyed_hash(&[0x5a; 32], &self.salts.to_le_bytes());
            <[u8; 16]>::try_from(&out.as_bytes()[..16]).expect("16 bytes")
        }

        fn unsigned(&mut self, (recorded_at, clock, actor, events): GoldenTx) {
            for (effective, source, event) in events {
                let record = Record {
                    tx: self.tx,
                    recorded_at,
                    clock,
                    actor: actor.into(),
                    effective,
                    source,
                    event,
                };
                let mut salts = Vec::new();
                for _ in record.event.texts() {
                    salts.push(self.salt());
                }
                self.push(record, salts);
            }
            self.tx += 1;
        }

        /// A signed transaction, as `Ledger::apply_request` writes one: the
        /// request's texts sealed with its salts in the events it drafts.
        fn signed(&mut self, tx: SignedTx) {
            let ledger_id = match (&self.state.ledger, tx.lead.first()) {
                (Some(ledger), _) => ledger.id,
                (None, Some(Event::LedgerCreated { ledger_id, .. })) => *ledger_id,
                (None, _) => panic!("a signed golden transaction needs a ledger"),
            };
            let head = RequestHead {
                ledger_id,
                head_seen: if tx.seen { self.state.head } else { None },
                signer: tx.signer.into(),
                made_at: tx.made_at,
            };
            let nonce = self.salt();
            let signed =
                SignedRequest::sign_with(&golden_key(tx.seed), head, tx.commands, nonce, || {
                    Ok(self.salt())
                })
                .expect("golden requests sign");
            let (tx_no, recorded_at, signer) = (self.tx, tx.recorded_at, tx.signer);
            let record = |effective, source, event| Record {
                tx: tx_no,
                recorded_at,
                clock: ClockNote::System,
                actor: signer.into(),
                effective,
                source,
                event,
            };
            let mut records: Vec<Record> = tx
                .lead
                .into_iter()
                .map(|event| record(None, None, event))
                .collect();
            records.push(record(
                None,
                None,
                Event::RequestSigned {
                    key: signed.request.key,
                    request: signed.bytes.clone(),
                    signature: signed.signature,
                },
            ));
            for record in records {
                self.push(record, Vec::new());
            }
            let mut salts = signed.salts().into_iter();
            for stamped in signed.commands().expect("golden texts match") {
                let event = crate::rules::draft(&self.state, &stamped.command)
                    .expect("golden commands draft");
                let record = record(stamped.effective, stamped.source, event);
                let mine = salts.by_ref().take(record.event.texts().len()).collect();
                self.push(record, mine);
            }
            self.tx += 1;
        }

        /// Seals, chains and folds one record, its texts sealed with
        /// `salts` in slot order; a redaction erases what it names.
        fn push(&mut self, record: Record, salts: Vec<[u8; 16]>) {
            let seq = self.events.len() as u64;
            let prev = self.events.last().map_or(GENESIS_PREV, |e| e.hash);
            let events = &self.events;
            let subject = self.state.subject_of(&record.event, |earlier| {
                events.get(earlier as usize).map(|e| e.subject)
            });
            let mut salts = salts.into_iter();
            let sealed = codec::encode_record(&record, || salts.next().expect("a salt a text"))
                .expect("golden records encode");
            let texts = codec::decode_texts(sealed.texts.as_deref()).expect("texts decode");
            let digest = chain::record_digest(&sealed.record);
            let hash = chain::event_hash(&prev, seq, subject, &digest);
            if let Event::Redacted {
                event: target,
                slots,
                reason,
            } = &record.event
            {
                let erasure = Erasure {
                    by_seq: seq,
                    recorded_at: record.recorded_at,
                    actor: record.actor.clone(),
                    reason: reason.clone(),
                };
                let redacted = &mut self.events[*target as usize];
                for &slot in slots {
                    redacted.texts[slot as usize] = StoredText::Erased { by: seq };
                }
                let sealed = codec::decode_sealed(&redacted.bytes).expect("decodes");
                redacted.record =
                    sealed::unseal(sealed, redacted.texts.clone(), |_, _| Some(erasure.clone()))
                        .expect("unseals");
            }
            self.state.apply(seq, hash, &record);
            self.events.push(StoredEvent {
                seq,
                prev,
                hash,
                subject,
                bytes: sealed.record,
                texts,
                record,
            });
        }
    }

    /// Pins the record bytes and hashes of every event type. A failure means
    /// the on-disk format changed: that needs a new format version and new
    /// vectors (regenerate with PLANLEDGER_BLESS=1), not just this file.
    #[test]
    fn golden_vectors_match() {
        let produced = golden_file(&golden_chain(), "events.jsonl");
        // Every text is there but the two redacted, whose words are gone.
        assert!(!produced.contains("Agreed at MARAC"));
        assert!(!produced.contains("Sam Jones"));
        assert!(
            produced
                .contains("redacted on 2020-09-13 by Data Protection Officer: named a relative")
        );
        assert!(produced.contains("redacted on 2020-09-13 by Admin: named a tenant"));
    }

    /// Pins a ledger signed from its genesis (FORMAT.md §13.4).
    #[test]
    fn golden_signed_genesis_vectors_match() {
        let produced = golden_file(&signed_genesis_chain(), "signed.jsonl");
        assert!(produced.contains("agency:turning  point"));
    }

    /// The chain as exported, compared with (or, with PLANLEDGER_BLESS set,
    /// written to) `ledger/golden/NAME`.
    fn golden_file(chain: &[StoredEvent], name: &str) -> String {
        let mut produced = Vec::new();
        write_jsonl(chain, &mut produced).expect("writing to a Vec cannot fail");
        let produced = String::from_utf8(produced).expect("JSON is UTF-8");
        let path = format!("{}/ledger/golden/{name}", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("PLANLEDGER_BLESS").is_some() {
            std::fs::write(&path, &produced).expect("golden file is writable");
        }
        let committed = std::fs::read_to_string(&path).expect("the golden file exists");
        assert_eq!(committed, produced, "golden vectors changed: {name}");
        produced
    }

    #[test]
    fn golden_chain_covers_every_event_type_and_status() {
        let chain = golden_chain();
        let kinds: std::collections::BTreeSet<EventKind> =
            chain.iter().map(|e| e.record.event.kind()).collect();
        // Every type but LedgerUpgraded, the genesis of an upgraded ledger,
        // which `upgrade`'s tests pin.
        assert_eq!(kinds.len(), 20);
        let mut statuses = std::collections::BTreeSet::new();
        for event in &chain {
            match &event.record.event {
                Event::StatusChanged { from, to, .. } => {
                    statuses.insert(*from);
                    statuses.insert(*to);
                }
                Event::ActionWithdrawn { from, .. } => {
                    statuses.insert(*from);
                }
                _ => {}
            }
        }
        assert_eq!(statuses.len(), Status::ALL.len());
    }

    /// The golden chains are real histories: every event in them is one
    /// the commands could have written, by the rules `verify` replays, and
    /// each signed transaction's events hold its request's commitments.
    #[test]
    fn golden_chains_obey_the_rules() {
        for chain in [golden_chain(), signed_genesis_chain()] {
            let violations = crate::rules::check_with_subjects(
                chain.iter().map(|e| (e.seq, e.hash, e.subject, &e.record)),
            );
            assert_eq!(violations, vec![]);
            let mut requested = Vec::new();
            let mut held = Vec::new();
            for event in &chain {
                let sealed = codec::decode_sealed(&event.bytes).expect("decodes");
                if let crate::event::EventOf::RequestSigned { request, .. } = &sealed.event {
                    let request = crate::request::decode(request).expect("a request");
                    for stamped in &request.commands {
                        requested.extend(stamped.command.texts().into_iter().copied());
                    }
                } else if chain.iter().any(|e| {
                    e.record.tx == event.record.tx
                        && matches!(e.record.event, Event::RequestSigned { .. })
                }) {
                    held.extend(sealed.event.texts().into_iter().copied());
                }
            }
            assert_eq!(requested, held);
            assert!(!requested.is_empty());
        }
    }
}
