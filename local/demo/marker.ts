/** The marker written after a complete demo seed: a restart with it present skips seeding. */
export const DEMO_MARKER = 'demo-seeded.json';
