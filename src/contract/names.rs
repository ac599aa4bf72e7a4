//! Names in a contract that a reader or the matcher could take for one another: look-alike
//! queue names and ids (UTS #39 skeletons) and queue names that mix scripts. `check` prints
//! these as warnings: the contract is valid, but probably not what was meant.

use super::Contract;
use crate::lookalike::{groups, mixed_scripts, spelled};

impl Contract {
    /// One line per look-alike group or mixed-script queue name, in a stable order.
    pub fn lookalike_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for g in groups(self.queues.iter().map(String::as_str)) {
            out.push(format!(
                "scope.queues: {} look alike (Unicode UTS #39): contacts are matched to queues by exact text, \
                 so data spelled one way leaves the scope of the other; keep one spelling",
                and_list(&g)
            ));
        }
        for q in &self.queues {
            if let Some(scripts) = mixed_scripts(q) {
                out.push(format!(
                    "scope.queues: {} mixes scripts ({}): a queue name in the data typed in one script will not match it",
                    spelled(q),
                    scripts.join(" and ")
                ));
            }
        }
        let mut slas: Vec<&str> = self.terms.iter().flat_map(|t| t.slas.iter().map(|s| s.id.as_str())).collect();
        slas.sort_unstable();
        slas.dedup();
        for g in groups(slas) {
            out.push(format!(
                "sla ids {} look alike (Unicode UTS #39): results, disputes and credits name SLAs by id; rename one",
                and_list(&g)
            ));
        }
        for g in groups(self.obligations.iter().map(|o| o.id.as_str())) {
            out.push(format!(
                "obligation ids {} look alike (Unicode UTS #39): results name obligations by id; rename one",
                and_list(&g)
            ));
        }
        out
    }
}

fn and_list(names: &[&str]) -> String {
    let spelled: Vec<String> = names.iter().map(|n| spelled(n)).collect();
    match spelled.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => spelled.join(""),
    }
}
