//! The module's allocator: std's (dlmalloc on wasm32), with small blocks
//! recycled through free lists by size class.
//!
//! A decision allocates a few dozen small blocks (the request's strings, the
//! context's entries, the decision's lists) and frees them all before the
//! next: popping and pushing a free list is a fraction of dlmalloc's cost.
//! Recycled blocks stay in their lists (wasm memory never shrinks anyway).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Blocks of up to this many bytes are recycled, in classes of 16 bytes.
const SMALL: usize = 128;
const CLASSES: usize = SMALL / 16;
/// dlmalloc's own alignment on wasm32: a class's blocks need no more.
const ALIGN: usize = 8;

pub struct Pool {
    /// The head of each class's free list; a free block holds the next's address.
    free: [Cell<*mut u8>; CLASSES],
}

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for Pool {}

#[global_allocator]
static POOL: Pool = Pool {
    free: [const { Cell::new(std::ptr::null_mut()) }; CLASSES],
};

/// The class of a layout, if its blocks are recycled.
fn class(layout: Layout) -> Option<usize> {
    (layout.size() <= SMALL && layout.align() <= ALIGN).then(|| layout.size().saturating_sub(1) / 16)
}

/// The layout of every block of a class (its largest size).
fn block(class: usize) -> Layout {
    Layout::from_size_align((class + 1) * 16, ALIGN).unwrap_or(Layout::new::<[u64; SMALL / 8]>())
}

// SAFETY: blocks of a class are all allocated with that class's layout and
// are at least 16 bytes, 8-aligned: room for the free list's link.
//
// Not inlined: one copy of each, rather than one at every allocation site.
unsafe impl GlobalAlloc for Pool {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            return unsafe { System.alloc(layout) };
        };
        let head = self.free[c].get();
        if head.is_null() {
            return unsafe { System.alloc(block(c)) };
        }
        self.free[c].set(unsafe { head.cast::<*mut u8>().read() });
        head
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            Some(_) => {
                let ptr = unsafe { self.alloc(layout) };
                if !ptr.is_null() {
                    unsafe { ptr.write_bytes(0, layout.size()) };
                }
                ptr
            }
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(layout) {
            Some(c) => {
                unsafe { ptr.cast::<*mut u8>().write(self.free[c].get()) };
                self.free[c].set(ptr);
            }
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new)) {
            (Some(a), Some(b)) if a == b => ptr,
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            _ => {
                let moved = unsafe { self.alloc(new) };
                if !moved.is_null() {
                    unsafe { std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size)) };
                    unsafe { self.dealloc(ptr, layout) };
                }
                moved
            }
        }
    }
}
