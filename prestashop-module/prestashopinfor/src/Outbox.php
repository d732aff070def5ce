<?php
/**
 * The outbox: one row per event and receiver URL, written by the hooks inside the shop's request
 * (never a network call there) and sent later by the Dispatcher.
 *
 * It talks to the database through PrestaShop's Db object (classes/db/Db.php: insert, update,
 * delete, execute, executeS, getValue, getRow, Affected_Rows), handed in, so that the tests can
 * give it a stand-in. Db::insert and Db::update do not escape values: every string goes through
 * pSQL (config/alias.php) first. Times are Unix seconds (UTC).
 */

namespace PrestashopInfor;

final class Outbox
{
    const TABLE = 'prestashopinfor_outbox';
    /** The last version given to each resource: survives the purge of its delivered events. */
    const VERSIONS = 'prestashopinfor_resource_version';

    const PENDING = 'pending';
    const DELIVERED = 'delivered';
    const REFUSED = 'refused';

    /** Db::INSERT_IGNORE (classes/db/Db.php). */
    const INSERT_IGNORE = 2;

    /** @var \Db */
    private $db;
    /** @var string _DB_PREFIX_ */
    private $prefix;

    public function __construct($db, string $prefix)
    {
        $this->db = $db;
        $this->prefix = $prefix;
    }

    /** The CREATE TABLE statements, for MySQL/MariaDB with PrestaShop's engine (_MYSQL_ENGINE_). */
    public function installStatements(string $engine): array
    {
        $suffix = ' ENGINE=' . $engine . ' DEFAULT CHARSET=utf8mb4';

        return [
            'CREATE TABLE IF NOT EXISTS `' . $this->prefix . self::TABLE . '` (
  `id_outbox` INT(10) UNSIGNED NOT NULL AUTO_INCREMENT,
  `event_id` CHAR(36) NOT NULL,
  `event` VARCHAR(64) NOT NULL,
  `resource_type` VARCHAR(32) NOT NULL,
  `resource_id` INT(10) UNSIGNED NULL,
  `resource_key` VARCHAR(100) NOT NULL,
  `resource_version` INT(10) UNSIGNED NOT NULL,
  `receiver_url` VARCHAR(255) NOT NULL,
  `envelope` TEXT NOT NULL,
  `id_shop` INT(10) UNSIGNED NOT NULL,
  `id_shop_group` INT(10) UNSIGNED NOT NULL,
  `status` VARCHAR(16) NOT NULL DEFAULT \'pending\',
  `attempts` INT(10) UNSIGNED NOT NULL DEFAULT 0,
  `next_attempt_at` INT(10) UNSIGNED NOT NULL,
  `last_attempt_at` INT(10) UNSIGNED NULL,
  `last_error` VARCHAR(255) NULL,
  `created_at` INT(10) UNSIGNED NOT NULL,
  `delivered_at` INT(10) UNSIGNED NULL,
  PRIMARY KEY (`id_outbox`),
  KEY `due` (`status`, `next_attempt_at`),
  KEY `event_id` (`event_id`),
  KEY `resource` (`resource_key`, `event`)
)' . $suffix,
            'CREATE TABLE IF NOT EXISTS `' . $this->prefix . self::VERSIONS . '` (
  `resource_key` VARCHAR(100) NOT NULL,
  `version` INT(10) UNSIGNED NOT NULL,
  PRIMARY KEY (`resource_key`)
)' . $suffix,
        ];
    }

    public function install(string $engine): bool
    {
        foreach ($this->installStatements($engine) as $sql) {
            if (!$this->db->execute($sql)) {
                return false;
            }
        }

        return true;
    }

    public function uninstall(): bool
    {
        return $this->db->execute('DROP TABLE IF EXISTS `' . $this->prefix . self::TABLE . '`')
            && $this->db->execute('DROP TABLE IF EXISTS `' . $this->prefix . self::VERSIONS . '`');
    }

    /**
     * Puts one event in the outbox, due now, once per receiver URL (the same event id for each);
     * returns the event id.
     *
     * @param array $shop id_shop, id_shop_group, url, ps_version
     * @param string $resourceKey what the version counts: "orders:5", "stock:12:0:1"
     */
    public function record(
        string $event,
        string $sourceHook,
        array $shop,
        string $resourceType,
        $resourceId,
        string $resourceKey,
        array $data,
        array $receiverUrls,
        int $now
    ): string {
        $eventId = Envelope::uuid4();
        $version = $this->nextVersion($resourceKey);
        $body = Envelope::encode(Envelope::build(
            $eventId, $event, $now, $shop, $sourceHook, $resourceType, $resourceId, $version, $data
        ));
        foreach ($receiverUrls as $url) {
            $this->db->insert(self::TABLE, [
                'event_id' => pSQL($eventId),
                'event' => pSQL($event),
                'resource_type' => pSQL($resourceType),
                'resource_id' => $resourceId === null ? null : (int) $resourceId,
                'resource_key' => pSQL($resourceKey),
                'resource_version' => $version,
                'receiver_url' => pSQL($url),
                'envelope' => pSQL($body, true), // true: keep the JSON as is (no strip_tags, no nl2br)
                'id_shop' => (int) $shop['id_shop'],
                'id_shop_group' => (int) $shop['id_shop_group'],
                'status' => self::PENDING,
                'attempts' => 0,
                'next_attempt_at' => $now,
                'created_at' => $now,
            ], true);
        }

        return $eventId;
    }

    /**
     * 1 for a resource's first event, then 2, 3...: one more than the last, kept in its own table so
     * the purge cannot make it go back. Two changes of the same record in the same instant may read
     * the same number; it never goes down.
     */
    public function nextVersion(string $resourceKey): int
    {
        $table = $this->prefix . self::VERSIONS;
        $key = pSQL($resourceKey);
        for ($try = 0; $try < 3; ++$try) {
            $this->db->execute('UPDATE `' . $table . '` SET `version` = `version` + 1 WHERE `resource_key` = \'' . $key . '\'');
            if ((int) $this->db->Affected_Rows() > 0) {
                return (int) $this->db->getValue(
                    'SELECT `version` FROM `' . $table . '` WHERE `resource_key` = \'' . $key . '\'',
                    false
                );
            }
            $this->db->insert(self::VERSIONS, ['resource_key' => $key, 'version' => 1], false, false, self::INSERT_IGNORE);
            if ((int) $this->db->Affected_Rows() > 0) {
                return 1;
            }
        }

        return 1;
    }

    /** Whether an event of this type was recorded for the resource (kept until purged). */
    public function hasEvent(string $event, string $resourceKey): bool
    {
        return (bool) $this->db->getValue(
            'SELECT 1 FROM `' . $this->prefix . self::TABLE . '` WHERE `resource_key` = \'' . pSQL($resourceKey)
            . '\' AND `event` = \'' . pSQL($event) . '\'',
            false
        );
    }

    /** The pending rows due at `$now`, the most overdue first, at most `$limit`. */
    public function due(int $now, int $limit): array
    {
        $rows = $this->db->executeS(
            'SELECT * FROM `' . $this->prefix . self::TABLE . '` WHERE `status` = \'' . self::PENDING
            . '\' AND `next_attempt_at` <= ' . $now . ' ORDER BY `next_attempt_at`, `id_outbox` LIMIT ' . (int) $limit,
            true,
            false
        );

        return is_array($rows) ? $rows : [];
    }

    /**
     * Takes a due row for one sender: moves its next attempt to `$until`, only if nobody else did
     * since it was read. A sender that dies while sending leaves it due again at `$until`.
     */
    public function claim(array $row, int $until): bool
    {
        $this->db->update(
            self::TABLE,
            ['next_attempt_at' => $until],
            '`id_outbox` = ' . (int) $row['id_outbox'] . ' AND `status` = \'' . self::PENDING
            . '\' AND `next_attempt_at` = ' . (int) $row['next_attempt_at']
        );

        return (int) $this->db->Affected_Rows() === 1;
    }

    public function markDelivered(int $id, int $attempts, int $now)
    {
        $this->change($id, [
            'status' => self::DELIVERED,
            'attempts' => $attempts,
            'last_attempt_at' => $now,
            'delivered_at' => $now,
            'last_error' => null,
        ]);
    }

    public function markForRetry(int $id, int $attempts, int $nextAttemptAt, string $error, int $now)
    {
        $this->change($id, [
            'attempts' => $attempts,
            'next_attempt_at' => $nextAttemptAt,
            'last_attempt_at' => $now,
            'last_error' => pSQL(self::shortError($error)),
        ]);
    }

    public function markRefused(int $id, int $attempts, string $error, int $now)
    {
        $this->change($id, [
            'status' => self::REFUSED,
            'attempts' => $attempts,
            'last_attempt_at' => $now,
            'last_error' => pSQL(self::shortError($error)),
        ]);
    }

    /** Not sent, and no attempt counted: the shop lacks what sending needs (a secret). */
    public function postpone(int $id, int $nextAttemptAt, string $error)
    {
        $this->change($id, ['next_attempt_at' => $nextAttemptAt, 'last_error' => pSQL(self::shortError($error))]);
    }

    /** Deletes the events delivered before `$before`; returns how many. */
    public function purgeDelivered(int $before): int
    {
        $this->db->delete(self::TABLE, '`status` = \'' . self::DELIVERED . '\' AND `delivered_at` < ' . $before);

        return (int) $this->db->Affected_Rows();
    }

    /** What the back office shows: counts, the oldest pending event's age, the last error. */
    public function state(int $now): array
    {
        $table = '`' . $this->prefix . self::TABLE . '`';
        $count = function ($status) use ($table) {
            return (int) $this->db->getValue('SELECT COUNT(*) FROM ' . $table . ' WHERE `status` = \'' . $status . '\'', false);
        };
        $oldest = $this->db->getValue('SELECT MIN(`created_at`) FROM ' . $table . ' WHERE `status` = \'' . self::PENDING . '\'', false);
        $lastError = $this->db->getRow(
            'SELECT `event`, `receiver_url`, `last_error`, `last_attempt_at` FROM ' . $table
            . ' WHERE `last_error` IS NOT NULL AND `last_error` <> \'\' ORDER BY `last_attempt_at` DESC, `id_outbox` DESC',
            false
        );

        return [
            'pending' => $count(self::PENDING),
            'delivered' => $count(self::DELIVERED),
            'refused' => $count(self::REFUSED),
            'oldest_pending_age' => $oldest ? max(0, $now - (int) $oldest) : null,
            'last_error' => $lastError ?: null,
        ];
    }

    private function change(int $id, array $values)
    {
        $this->db->update(self::TABLE, $values, '`id_outbox` = ' . $id, 0, true);
    }

    /** One line of printable ASCII that fits the column. */
    private static function shortError(string $error): string
    {
        return substr(preg_replace('/[^\x20-\x7E]+/', ' ', $error), 0, 255);
    }
}
