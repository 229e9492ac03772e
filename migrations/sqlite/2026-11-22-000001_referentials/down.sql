DROP TABLE referential_items;
DROP TABLE referentials;
