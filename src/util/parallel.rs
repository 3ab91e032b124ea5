//! Work shared out over threads that take items in turn, so a thread that
//! shares its core with other work does not hold the rest up.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work(state, item)` for every item of `items`, on up to `threads`
/// threads (the caller's included), each with its own `state` from `init`
/// (a decompressor, a repository handle: what cannot be shared). Returns
/// the results in the order of `items`. A panic in a worker is resumed here.
pub fn map_in_turn<T: Sync, S, R: Send>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    map_in_turn_on(items, threads, None, init, work)
}

/// [`map_in_turn`], the threads it starts having stacks of `stack` bytes
/// (the system's default without): for work that recurses as deep as a
/// tree nests.
pub fn map_in_turn_on<T: Sync, S, R: Send>(
    items: &[T],
    threads: usize,
    stack: Option<usize>,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut state = init();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { return done };
            done.push((i, work(&mut state, item)));
        }
    };
    let threads = threads.clamp(1, items.len().max(1));
    let parts = if threads == 1 {
        vec![worker()]
    } else {
        std::thread::scope(|s| {
            // A thread the system will not start (a tight `ulimit -v`) only
            // means fewer: the others take its items.
            let handles: Vec<_> = (1..threads)
                .filter_map(|_| {
                    let builder = std::thread::Builder::new();
                    let builder = match stack {
                        Some(bytes) => builder.stack_size(bytes),
                        None => builder,
                    };
                    builder.spawn_scoped(s, worker).ok()
                })
                .collect();
            let mut parts = vec![worker()];
            for h in handles {
                parts.push(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            parts
        })
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (i, r) in parts.into_iter().flatten() {
        results[i] = Some(r);
    }
    results.into_iter().map(|r| r.expect("every item is taken once")).collect()
}

/// `work(item)` for every item of `items`, each moved to one of up to
/// `threads` threads with stacks of `stack` bytes, which take them in turn.
/// Should the system start none (a tight `ulimit -v`), the caller works
/// through them itself. A panic in a worker is resumed here.
pub fn drain<T: Send>(items: Vec<T>, threads: usize, stack: usize, work: impl Fn(T) + Sync) {
    let queue = std::sync::Mutex::new(items.into_iter());
    let worker = || loop {
        let Some(item) = queue.lock().expect("queue").next() else { break };
        work(item);
    };
    std::thread::scope(|s| {
        let worker = &worker;
        let started = (0..threads.max(1))
            .filter(|_| std::thread::Builder::new().stack_size(stack).spawn_scoped(s, worker).is_ok())
            .count();
        if started == 0 {
            worker();
        }
    });
}

/// Runs `produce(submit)` on the calling thread while up to `threads`
/// threads with stacks of `stack` bytes run `work(item)` on each item it
/// submits, as they come; returns when `produce` has and every item is
/// done. Should the system start no thread, the items are worked through
/// here once `produce` returns. A panic in a worker is resumed here.
pub fn consume<T: Send>(
    threads: usize,
    stack: usize,
    work: impl Fn(T) + Sync,
    produce: impl FnOnce(&(dyn Fn(T) + Sync)),
) {
    let (tx, rx) = std::sync::mpsc::channel::<T>();
    let rx = std::sync::Mutex::new(rx);
    let left = std::sync::Mutex::new(Vec::new());
    let worker = || loop {
        // The lock is held only until an item (or the end) arrives.
        let item = rx.lock().expect("queue").recv();
        match item {
            Ok(item) => work(item),
            Err(_) => break,
        }
    };
    std::thread::scope(|s| {
        let worker = &worker;
        let started = (0..threads.max(1))
            .filter(|_| std::thread::Builder::new().stack_size(stack).spawn_scoped(s, worker).is_ok())
            .count();
        let submit = |item: T| {
            if started == 0 {
                left.lock().expect("left").push(item);
            } else {
                // The receiver lives in this frame until the end, so the
                // channel is open while `produce` runs.
                tx.send(item).unwrap_or_else(|_| unreachable!("the receiver outlives the sender"));
            }
        };
        produce(&submit);
        drop(tx);
    });
    for item in left.into_inner().expect("left") {
        work(item);
    }
}

#[cfg(test)]
mod tests {
    use super::{consume, drain, map_in_turn};

    #[test]
    fn every_item_once_in_order_whatever_the_threads() {
        let items: Vec<u32> = (0..1000).collect();
        for threads in [0, 1, 2, 7, 5000] {
            let calls = std::sync::atomic::AtomicUsize::new(0);
            let out = map_in_turn(
                &items,
                threads,
                || 0u32,
                |seen, x| {
                    *seen += 1;
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    x * 2
                },
            );
            assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
            assert_eq!(calls.into_inner(), items.len());
        }
        assert!(map_in_turn(&[] as &[u32], 4, || (), |_, x| *x).is_empty());
    }

    #[test]
    fn consume_works_every_item_submitted_once() {
        for threads in [0, 1, 2, 7] {
            let got = std::sync::Mutex::new(Vec::new());
            consume(
                threads,
                1 << 20,
                |x: u32| got.lock().unwrap().push(x),
                |submit| {
                    for x in 0..300 {
                        submit(x);
                    }
                },
            );
            let mut got = got.into_inner().unwrap();
            got.sort_unstable();
            assert_eq!(got, (0..300).collect::<Vec<_>>());
        }
    }

    #[test]
    fn drain_moves_every_item_to_one_worker_once() {
        for threads in [0, 1, 2, 7] {
            let items: Vec<String> = (0..500).map(|i| i.to_string()).collect();
            let got = std::sync::Mutex::new(Vec::new());
            let names = std::sync::Mutex::new(std::collections::HashSet::new());
            drain(items, threads, 1 << 20, |s: String| {
                names.lock().unwrap().insert(std::thread::current().id());
                got.lock().unwrap().push(s.parse::<u32>().unwrap());
            });
            let mut got = got.into_inner().unwrap();
            got.sort_unstable();
            assert_eq!(got, (0..500).collect::<Vec<_>>());
            // Workers, not the caller, unless none could start.
            assert!(!names.into_inner().unwrap().contains(&std::thread::current().id()));
        }
    }
}
