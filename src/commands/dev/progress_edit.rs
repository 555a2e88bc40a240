//! Your own progress marks (the course's progress file) follow an exercise that `dev rename`
//! renames or `dev remove` removes. Done last and on its own: failing to update it loses no
//! course file, so it is reported, not undone.

use crate::commands::announce;
use crate::course::Course;
use crate::progress::{Progress, STATE_FILE};

/// Applies `change` (which says whether the file had marks of the exercise) to the progress
/// file, if there is one. `Some(Ok)` when marks changed, `Some(Err(why))` when they should
/// have and could not; `None` when there was nothing to change.
pub fn apply(
    course: &Course,
    change: impl FnOnce(&mut Progress) -> bool,
) -> Option<Result<(), String>> {
    let path = course.root.join(STATE_FILE);
    if !path.is_file() {
        return None;
    }
    let (mut progress, notice) = match Progress::load(&path) {
        Ok(loaded) => loaded,
        Err(error) => {
            return Some(Err(format!(
                "{STATE_FILE} could not be read ({error:#}): its marks were left as they were"
            )));
        }
    };
    if let Some(notice) = notice {
        announce(&notice);
    }
    if !change(&mut progress) {
        return None;
    }
    Some(progress.save().map_err(|error| {
        format!("{STATE_FILE} could not be updated ({error:#}): its marks were left as they were")
    }))
}
