SELECT 18446744073709551615, 18446744073709551616, 0xFF, 0b101, 1.5, (.5), 1e3, 1.5e-3, inf, -nan, Infinity,
  true, FALSE, NULL, 'it''s \x41\n\t\\ \%', [1, 2, [3]], (1, 'a'), -(-1), + 2 FROM t