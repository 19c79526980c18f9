//! Op families. Each module opens with the TF ops it implements and
//! registers them in [`crate::registry::Registry`].

pub mod arith;
pub mod as_string;
pub mod basic;
pub mod cast;
pub mod common;
pub mod control;
pub mod conv3d;
pub mod einsum;
pub mod fused;
pub mod gather;
pub mod layout;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod norm;
pub mod parse_example;
pub mod partition;
pub mod pool;
pub mod reduce;
pub mod regex_ops;
pub mod resize;
pub mod shape;
pub mod slicing;
pub mod spatial;
pub mod strings;
pub mod tables;
pub mod text_file;
pub mod unary;
pub mod variables;

use crate::registry::Registry;

/// Registers every op family.
pub fn register_all(r: &mut Registry) {
    basic::register(r);
    control::register(r);
    variables::register(r);
    math::register(r);
    unary::register(r);
    shape::register(r);
    layout::register(r);
    slicing::register(r);
    gather::register(r);
    spatial::register(r);
    partition::register(r);
    nn::register(r);
    conv3d::register(r);
    norm::register(r);
    einsum::register(r);
    linalg::register(r);
    pool::register(r);
    resize::register(r);
    reduce::register(r);
    tables::register(r);
    strings::register(r);
    regex_ops::register(r);
    as_string::register(r);
    parse_example::register(r);
}
