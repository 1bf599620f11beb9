//! BTF model and parser.
