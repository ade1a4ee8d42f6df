//! The two references the engine is measured against, on the linear
//! pipeline's four hops per message: a tokio paused-clock chain and a bare
//! binary-heap event loop. Shared by the `sim_throughput` bench and the
//! `engine_ratio` example, which times them interleaved with the engine.

/// Reference: five tokio tasks joined by channels on a current-thread
/// runtime with paused time, each hop a 1 ms `sleep` (the timer's
/// resolution). Returns the deliveries: four hops per message.
pub fn tokio_chain(messages: u64) -> u64 {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().expect("runtime");
    runtime.block_on(async move {
        let (first, mut previous) = tokio::sync::mpsc::unbounded_channel::<std::sync::Arc<[u8; 64]>>();
        let mut hops = Vec::new();
        for _ in 0..3 {
            let (next, receiver) = tokio::sync::mpsc::unbounded_channel();
            let mut inbox = std::mem::replace(&mut previous, receiver);
            hops.push(tokio::spawn(async move {
                while let Some(message) = inbox.recv().await {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    if next.send(message).is_err() {
                        break;
                    }
                }
            }));
        }
        let sink = tokio::spawn(async move {
            let mut delivered = 0u64;
            while previous.recv().await.is_some() {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                delivered += 1;
            }
            delivered
        });
        let payload = std::sync::Arc::new([7u8; 64]);
        for _ in 0..messages {
            first.send(payload.clone()).expect("the chain runs");
        }
        drop(first);
        for hop in hops {
            hop.await.expect("hop");
        }
        // Every message crossed four hops.
        sink.await.expect("sink") * 4
    })
}

/// Reference: a bare discrete-event loop over a binary heap of
/// `(time, tie, seq)` keys with one shared payload, inputs 1 µs apart merged
/// in time order, four 1 µs hops per message, the tie a seeded random draw
/// as in the engine's default tie-break. Returns the deliveries.
pub fn bare_heap_loop(messages: u64) -> u64 {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let payload = std::sync::Arc::new([7u8; 64]);
    let mut rng = flowreplay::SimRng::seed_from(1);
    // (time, tie, seq, hop, payload), earliest first.
    type Entry = Reverse<(u64, u64, u64, u8, std::sync::Arc<[u8; 64]>)>;
    let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
    let (mut next_input, mut injected, mut seq, mut delivered) = (0u64, 0u64, 0u64, 0u64);
    loop {
        let due_input = injected < messages && heap.peek().is_none_or(|Reverse(top)| next_input <= top.0);
        if due_input {
            seq += 1;
            heap.push(Reverse((next_input + 1_000, rng.next_u64(), seq, 1, payload.clone())));
            injected += 1;
            next_input += 1_000;
            continue;
        }
        let Some(Reverse((at, _, _, hop, body))) = heap.pop() else { return delivered };
        delivered += 1;
        if hop < 4 {
            seq += 1;
            heap.push(Reverse((at + 1_000, rng.next_u64(), seq, hop + 1, body)));
        }
    }
}
