//! Tests of the whole importer: the shipped plan, Word and CSV fixtures
//! built here in code, and refused inputs.

use super::*;

const SHIPPED: &str = include_str!("../../ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt");

fn shipped() -> ParsedPlan {
    parse(
        "west-oxfordshire-dhr-alice-action-plan.txt",
        SHIPPED.as_bytes(),
        None,
    )
    .expect("the shipped plan parses")
}

#[test]
fn dump_shipped() {
    let plan = shipped();
    for a in &plan.actions {
        let t = a
            .target
            .as_ref()
            .map(|t| {
                format!(
                    "{:?} -> {}",
                    t.text,
                    t.date.map(|d| d.to_string()).unwrap_or("-".into())
                )
            })
            .unwrap_or("NONE".into());
        eprintln!(
            "== {} | {} | lead={:?} | recs={:?} | target={}",
            a.locator, a.agency, a.lead, a.recommendations, t
        );
        eprintln!("   text={:?}", a.text);
        eprintln!("   rec={:?}", a.recommendation_text);
        eprintln!("   ms={:?}", a.milestones);
        for f in &a.facts {
            eprintln!("   fact {:?}", f);
        }
    }
    for n in &plan.notes {
        eprintln!("NOTE {} [{:?}] {:?}", n.locator, n.agency, n.text);
    }
    for w in &plan.warnings {
        eprintln!("WARN {}: {}", w.locator, w.message);
    }
}
