DROP TABLE notifications;
DROP TABLE fiche_events;
DROP TABLE fiche_attachment_chunks;
DROP TABLE fiche_attachments;
DROP TABLE fiche_items;
DROP TABLE fiches;
