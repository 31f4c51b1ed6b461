SELECT Events.Name, `Events`.`Attributes`, "ResourceAttributes"['service.name'], t.x AS `y`,
  count(*) c, CAST(Duration AS Float64), CAST(x AS Nullable(String)), position('a' IN Body) FROM db.t AS tt