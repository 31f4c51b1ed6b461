SELECT a + b * c - d / e % f, a || b || c || d, NOT a = b AND c OR d, a BETWEEN 1 AND 2,
  x NOT BETWEEN a + 1 AND b, m['k'][1], a IS NOT NULL, a DIV 2, a MOD 3, NOT (a) = b,
  a == b, a <> b, a != b, a <= b, a >= b FROM t