// A generator of labelled penguin measurements from a rough field guide: Adelie, Chinstrap and
// Gentoo penguins differ from a common Adelie-like body plan by gaps that the config sets (beak
// length, beak depth, flipper length, body mass), with a within-species spread, a shared size
// factor (bigger birds are bigger all over), sex dimorphism, class balance, label noise and outliers.
// synthesise(config, seed) returns rows [beakLength, beakDepth, flipperLength, bodyMass, species].

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The body plan every species starts from, and its natural spread (one standard deviation).
const PLAN = [39, 18.3, 190, 3700];
const SPREAD = [2.6, 1.2, 6.5, 450];

/** Mean measurements of a species (0 Adelie, 1 Chinstrap, 2 Gentoo) under the config's gaps. */
function centre(species, c) {
  const [bl, bd, fl, bm] = PLAN;
  if (species === 0) return [bl, bd, fl, bm];
  // Chinstraps: Adelie-sized birds with long beaks and slightly longer flippers.
  if (species === 1) return [bl + c.beakLengthGap, bd, fl + c.flipperGap / 4, bm];
  // Gentoos: long, shallow beaks; long flippers; heavy.
  return [bl + 0.9 * c.beakLengthGap, bd - c.beakDepthGap, fl + c.flipperGap, bm + c.massGap];
}

export function synthesise(config, seed) {
  const rand = mulberry32(seed * 7919 + 23);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const shares = config.balance === 'field' ? [0.44, 0.2, 0.36] : [1 / 3, 1 / 3, 1 / 3];
  const rows = [];
  for (let i = 0; i < config.samples; i += 1) {
    const u = rand();
    const species = u < shares[0] ? 0 : u < shares[0] + shares[1] ? 1 : 2;
    const mean = centre(species, config);
    const size = gauss();
    const male = rand() < 0.5 ? 1 : -1;
    const row = mean.map((m, j) => {
      const shared = config.sizeCorrelation * size;
      const own = Math.sqrt(Math.max(0, 1 - config.sizeCorrelation ** 2)) * gauss();
      const value = m * (1 + male * config.dimorphism) + config.spread * SPREAD[j] * (shared + own);
      return rand() < config.outliers ? value + 6 * SPREAD[j] * gauss() : value;
    });
    const label = rand() < config.labelNoise ? Math.floor(rand() * 3) : species;
    rows.push([...row.map((v) => Number(v.toFixed(2))), label]);
  }
  return rows;
}
