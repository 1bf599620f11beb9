//! Model of a `.bpf.o` object, shared by the C and Rust skeleton emitters.
