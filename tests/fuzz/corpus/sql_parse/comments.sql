-- a comment
/* block /* nested */ */ SELECT a -- trailing
FROM t // slash comment
# hash comment
WHERE b