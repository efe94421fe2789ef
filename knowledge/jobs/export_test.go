package jobs

// PeriodicInsertOpts exposes the insert options of a periodic re-sync to
// the tests.
var PeriodicInsertOpts = periodicInsertOpts
