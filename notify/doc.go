// Package notify provides net/http handlers for the payment notifications of
// Epay and IEPay: verified, idempotent, and acknowledged only on success.
//
// Gateways repeat a notification until they read their success word
// ("success" for Epay, "SUCCESS" for IEPay), for hours and sometimes
// concurrently; attackers forge them; and an acknowledgement sent before the
// order was credited loses the payment for good. A handler therefore works in
// this order for every request:
//
//  1. limit the body (WithMaxBody, default 64 KiB);
//  2. parse the GET query or the POST form (never both merged);
//  3. verify: signature in constant time, merchant id, duplicate parameters,
//     sign_type — a failure answers 400 "fail" and nothing else runs;
//  4. de-duplicate by gateway, merchant and trade number (Deduper): a delivery
//     already processed is acknowledged again without running anything, and a
//     concurrent duplicate waits for the one in progress;
//  5. optionally confirm with the gateway (WithConfirm);
//  6. call the merchant's function;
//  7. answer the success word only if it returned nil; an error or a panic
//     (recovered) answers 500 "fail" so the gateway retries.
//
// The merchant's function receives the verified notification. It must still
// check that out_trade_no is one of its orders and that the amount matches
// the stored one (Epay: n.Cents(); IEPay notifications carry no amount, so use
// WithConfirm or iepay's Check).
//
// # Several instances
//
// The default Deduper is in memory, which suffices for one process. Behind a
// load balancer, plug in a shared store. With Redis, for example:
//
//	Claim:    SET notify:<key> "busy" NX PX 60000  -> OK: Claimed
//	          otherwise GET: "done" -> AlreadyDone, "busy" -> Busy
//	Complete: SET notify:<key> "done" PX 172800000   (48 h)
//	Release:  DEL notify:<key>   (only if the value is still "busy")
//
// The expiry of the "busy" value frees an order whose holder crashed. With
// SQL, a table notify_claims(key PRIMARY KEY, state, updated_at) works the
// same way: Claim is an INSERT that fails on conflict (then read the state;
// treat a stale "busy" row as free), Complete an UPDATE to 'done' — ideally in
// the same transaction that credits the order — and Release a DELETE of the
// 'busy' row.
package notify
