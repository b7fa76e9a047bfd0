//! `flareo.yaml`, the module recipe: parsing and validation with problems that name
//! the field and the line. Pure: text in, a checked [`Recipe`] or every problem out.
#![forbid(unsafe_code)]

mod model;
mod problem;
mod tree;
mod validate;

pub use model::{Category, EntryPath, License, Recipe, RefPattern, Runtime, Slug, Upstream};
pub use problem::{CODES, RecipeErrors, RecipeProblem};
pub use validate::{MAX_RECIPE_BYTES, parse};
