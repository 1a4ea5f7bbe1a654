//! The gemini adapter's declaration (none yet: it joins the table once its
//! adapter and mock routes exist).

use super::Spec;

pub fn spec() -> Option<Spec> {
    None
}
