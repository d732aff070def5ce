<?php
/**
 * classes/db/Db.php (with DbPDO's escaping), over SQLite in memory.
 *
 * The SQL the module writes for MySQL reaches SQLite with the few MySQL-only words translated
 * (forSqlite): the CREATE TABLE's AUTO_INCREMENT, UNSIGNED, KEY and ENGINE clauses, and INSERT IGNORE.
 * Errors throw, as PrestaShop does with _PS_DEBUG_SQL_ on.
 */
class Db
{
    const INSERT = 1;
    const INSERT_IGNORE = 2;
    const REPLACE = 3;
    const ON_DUPLICATE_KEY = 4;

    /** @var Db|null */
    private static $instance;
    /** @var PDO */
    public $link;
    /** @var string[] every statement run, as sent (before translation) */
    public $queries = [];
    /** @var int */
    private $affectedRows = 0;

    public static function getInstance($master = true)
    {
        if (self::$instance === null) {
            self::reset();
        }

        return self::$instance;
    }

    public static function reset()
    {
        $db = new self();
        $db->link = new PDO('sqlite::memory:');
        $db->link->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        self::$instance = $db;
    }

    public function insert($table, $data, $null_values = false, $use_cache = true, $type = Db::INSERT, $add_prefix = true)
    {
        if (!$data && !$null_values) {
            return true;
        }
        if ($add_prefix) {
            $table = _DB_PREFIX_ . $table;
        }
        $keyword = [self::INSERT => 'INSERT', self::INSERT_IGNORE => 'INSERT IGNORE', self::REPLACE => 'REPLACE'][$type];
        if (!is_array(reset($data))) {
            $data = [$data];
        }
        $keys = array_keys(reset($data));
        $rows = [];
        foreach ($data as $row) {
            $values = [];
            foreach ($row as $value) {
                // As PrestaShop: no escaping here, the caller used pSQL.
                $values[] = $null_values && ($value === '' || $value === null) ? 'NULL' : "'{$value}'";
            }
            $rows[] = '(' . implode(', ', $values) . ')';
        }
        $sql = $keyword . ' INTO `' . $table . '` (`' . implode('`, `', $keys) . '`) VALUES ' . implode(', ', $rows);

        return $this->execute($sql);
    }

    public function update($table, $data, $where = '', $limit = 0, $null_values = false, $use_cache = true, $add_prefix = true)
    {
        if (!$data) {
            return true;
        }
        $sql = 'UPDATE `' . ($add_prefix ? _DB_PREFIX_ : '') . $table . '` SET ';
        foreach ($data as $key => $value) {
            $sql .= $null_values && ($value === '' || $value === null) ? "`$key` = NULL," : "`$key` = '{$value}',";
        }
        $sql = rtrim($sql, ',');
        if ($where) {
            $sql .= ' WHERE ' . $where;
        }
        if ($limit) {
            throw new PrestaShopDatabaseException('the stand-in Db (SQLite) cannot UPDATE ... LIMIT');
        }

        return $this->execute($sql);
    }

    public function delete($table, $where = '', $limit = 0, $use_cache = true, $add_prefix = true)
    {
        $sql = 'DELETE FROM `' . ($add_prefix ? _DB_PREFIX_ : '') . $table . '`' . ($where ? ' WHERE ' . $where : '');
        if ($limit) {
            throw new PrestaShopDatabaseException('the stand-in Db (SQLite) cannot DELETE ... LIMIT');
        }

        return $this->execute($sql);
    }

    public function execute($sql, $use_cache = true)
    {
        $this->run($sql);

        return true;
    }

    public function executeS($sql, $array = true, $use_cache = true)
    {
        return $this->run($sql)->fetchAll(PDO::FETCH_ASSOC);
    }

    public function getRow($sql, $use_cache = true)
    {
        $sql = rtrim($sql, " \t\n\r\0\x0B;") . ' LIMIT 1'; // as PrestaShop: always
        $row = $this->run($sql)->fetch(PDO::FETCH_ASSOC);

        return $row === false ? false : $row;
    }

    public function getValue($sql, $use_cache = true)
    {
        $row = $this->getRow($sql, $use_cache);

        return $row ? array_shift($row) : false;
    }

    public function Insert_ID()
    {
        return (int) $this->link->lastInsertId();
    }

    public function Affected_Rows()
    {
        return $this->affectedRows;
    }

    public function escape($string, $html_ok = false, $bq_sql = false)
    {
        if (!is_numeric($string)) {
            $string = str_replace("'", "''", (string) $string); // SQLite's quoting, where DbPDO::_escape uses MySQL's
            if (!$html_ok) {
                $string = strip_tags(Tools::nl2br($string));
            }
            if ($bq_sql === true) {
                $string = str_replace('`', '\`', $string);
            }
        }

        return $string;
    }

    private function run($sql)
    {
        $this->queries[] = $sql;
        try {
            $statement = $this->link->query(self::forSqlite($sql));
        } catch (PDOException $error) {
            throw new PrestaShopDatabaseException($error->getMessage() . ' in: ' . $sql);
        }
        $this->affectedRows = $statement->rowCount();

        return $statement;
    }

    /** MySQL's words SQLite lacks. */
    public static function forSqlite($sql)
    {
        $sql = preg_replace('/^\s*INSERT IGNORE/i', 'INSERT OR IGNORE', $sql);
        if (!preg_match('/^\s*CREATE TABLE/i', $sql)) {
            return $sql;
        }
        $sql = preg_replace('/\)\s*ENGINE=.*$/s', ')', $sql);
        if (preg_match('/`(\w+)` INT\(10\) UNSIGNED NOT NULL AUTO_INCREMENT/', $sql, $auto)) {
            $sql = str_replace($auto[0], '`' . $auto[1] . '` INTEGER PRIMARY KEY AUTOINCREMENT', $sql);
            $sql = preg_replace('/,\s*PRIMARY KEY \(`' . $auto[1] . '`\)/', '', $sql);
        }
        $sql = str_replace('INT(10) UNSIGNED', 'INTEGER', $sql);
        $sql = preg_replace('/,\s*UNIQUE KEY `\w+` (\([^)]*\))/', ', UNIQUE $1', $sql);

        return preg_replace('/,\s*KEY `\w+` \([^)]*\)/', '', $sql);
    }
}
