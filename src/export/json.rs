//! JSON shapes of the projection and the audit trail. These shapes are what
//! `show --json`, `history --json`, `audit --json` and `export --format json`
//! print; other tools read them, so fields are only ever added. An
//! `effective` date that the actor did not state is the recorded day, and
//! `effective_stated` says which it is.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::date::{FuzzyDate, Target};
use crate::event::Evidence;
use crate::projection::{Action, Change, Claim, Plan, State};
use crate::query::audit::{Entry, clock_words};
use crate::time::format_micros;

/// The plan as it stands on `today`: `{"plans":[…]}`.
pub fn state(state: &State, today: NaiveDate) -> Value {
    let plans: Vec<Value> = state
        .plans
        .values()
        .map(|plan| plan_json(state, plan, today))
        .collect();
    json!({
        "as_of_day": today.to_string(),
        "head": state.head.map(|(seq, hash)| json!({"seq": seq, "hash": hex::encode(hash)})),
        "plans": plans,
    })
}

fn plan_json(state: &State, plan: &Plan, today: NaiveDate) -> Value {
    let recommendations: Vec<Value> = plan
        .recommendations
        .values()
        .map(|r| {
            json!({
                "id": r.number.to_string(),
                "number": r.number,
                "text": r.text,
                "scope": r.scope,
            })
        })
        .collect();
    let actions: Vec<Value> = state
        .actions
        .values()
        .filter(|a| a.plan == plan.id)
        .map(|a| action_json(a, today))
        .collect();
    json!({
        "id": plan.id.to_string(),
        "title": plan.title(),
        "partnership": plan.partnership,
        "review": plan.review,
        "chair": plan.chair,
        "published": plan.published.map(|d| d.to_string()),
        "recommendations": recommendations,
        "actions": actions,
    })
}

pub fn action_json(action: &Action, today: NaiveDate) -> Value {
    json!({
        "id": action.id.to_string(),
        "plan": action.plan.to_string(),
        "agency": action.agency,
        "text": action.text,
        "lead": action.lead,
        "scope": action.scope,
        "recommendations": action.recommendations.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        "status": action.status.as_str(),
        "status_reason": action.status_reason,
        "target": action.target.as_ref().map(target_json),
        "overdue": action.is_overdue(today),
        "milestones": action.milestones.iter().map(|m| json!({
            "note": m.note,
            "by": m.at.actor,
            "effective": m.at.effective.to_string(),
            "effective_stated": m.at.effective_stated,
            "recorded_at": format_micros(m.at.recorded_at),
            "seq": m.at.seq,
        })).collect::<Vec<_>>(),
        "claims": action.claims.iter().map(claim_json).collect::<Vec<_>>(),
        "added": change_json(&action.added),
        "last_changed": change_json(&action.last_changed),
    })
}

pub fn target_json(target: &Target) -> Value {
    json!({
        "text": target.text,
        "date": target.date.map(|d| d.to_string()),
        "precision": target.date.map(|d| d.precision().as_str()),
    })
}

fn claim_json(claim: &Claim) -> Value {
    json!({
        "number": claim.number,
        "outcome": claim.outcome,
        "evidence": claim.evidence.iter().map(evidence_json).collect::<Vec<_>>(),
        "by": claim.at.actor,
        "effective": claim.at.effective.to_string(),
        "effective_stated": claim.at.effective_stated,
        "recorded_at": format_micros(claim.at.recorded_at),
        "seq": claim.at.seq,
        "assurance": claim.assurance.as_ref().map(|a| json!({
            "decision": if a.accepted { "accepted" } else { "challenged" },
            "finding": a.finding,
            "by": a.at.actor,
            "effective": a.at.effective.to_string(),
            "recorded_at": format_micros(a.at.recorded_at),
            "seq": a.at.seq,
        })),
    })
}

pub fn evidence_json(evidence: &Evidence) -> Value {
    json!({"name": evidence.name, "size": evidence.size, "blake3": hex::encode(evidence.blake3)})
}

fn change_json(change: &Change) -> Value {
    json!({
        "seq": change.seq,
        "recorded_at": format_micros(change.recorded_at),
        "actor": change.actor,
        "effective": change.effective.to_string(),
    })
}

/// One audit-trail entry.
pub fn entry(entry: &Entry) -> Value {
    json!({
        "seq": entry.seq,
        "tx": entry.tx,
        "recorded_at": format_micros(entry.recorded_at),
        "clock": clock_words(entry.clock),
        "actor": entry.actor,
        "effective": entry.effective.map(|d: FuzzyDate| d.to_string()),
        "event": entry.kind,
        "plan": entry.plan.map(|p| p.to_string()),
        "action": entry.action.map(|a| a.to_string()),
        "agency": entry.agency,
        "change": entry.change,
        "backdated_days": entry.backdated_days,
        "source": entry.source,
    })
}
