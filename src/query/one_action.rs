//! One action on its own, for `history`: the action at any view, folded
//! from the ledger's first event and that action's own events (read through
//! the action index), so that what it costs grows with that action's events
//! and not with the ledger.
//!
//! An action is changed by its own events alone, those whose subject names
//! it ([`State::apply`] folds nothing else into an action, and a redaction
//! changes no state), so this fold holds the action exactly as the fold of
//! the whole history does. The tests check it against that fold for every
//! action, on both time axes.

use crate::id::ActionId;
use crate::ledger::View;
use crate::projection::{Action, State};
use crate::store::{Store, StoreError, StoredEvent};

/// The events that make one action what it is, read once.
#[derive(Debug)]
pub struct OneAction {
    action: ActionId,
    /// The ledger's first event, which says that the ledger existed.
    genesis: StoredEvent,
    /// The action's own events, in order, up to the head.
    events: Vec<StoredEvent>,
    head: u64,
}

impl OneAction {
    /// Reads `action`'s events up to the ledger's head, each checked against
    /// the stored hash of the event before it. `None` when the ledger never
    /// added the action (or holds no events).
    pub fn read(store: &Store, action: ActionId) -> Result<Option<OneAction>, StoreError> {
        let Some(head) = store.head()? else {
            return Ok(None);
        };
        let events = store
            .action_events(action, head.seq)?
            .collect::<Result<Vec<_>, _>>()?;
        let Some(genesis) = store.events().next().transpose()? else {
            return Ok(None);
        };
        let one = OneAction {
            action,
            genesis,
            events,
            head: head.seq,
        };
        Ok(one
            .state_view(View::default())
            .actions
            .contains_key(&action)
            .then_some(one))
    }

    pub fn action(&self) -> ActionId {
        self.action
    }

    /// The sequence number of the ledger's last event when it was read.
    pub fn head(&self) -> u64 {
        self.head
    }

    /// The action's own events, in order.
    pub fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    /// A state holding what `view` sees of the ledger's first event and of
    /// this action, folded as [`crate::ledger::Ledger::state_view`] folds
    /// the whole history: recorded time never decreases along the chain,
    /// so the events `view` admits are a prefix of each.
    pub fn state_view(&self, view: View) -> State {
        let admitted = std::iter::once(&self.genesis)
            .chain(&self.events)
            .take_while(|event| view.admits(event))
            .map(|event| (event.seq, event.hash, &event.record));
        match view.valid_at {
            None => State::fold(admitted),
            Some(day) => State::fold_valid_at(admitted, day),
        }
    }

    /// The action as `view` sees it: `None` before it was added, or before
    /// the ledger existed.
    pub fn action_view(&self, view: View) -> Option<Action> {
        self.state_view(view).actions.remove(&self.action)
    }
}
