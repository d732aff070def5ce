<?php

use PhpParser\Node;
use PhpParser\NodeFinder;
use PhpParser\ParserFactory;
use PHPUnit\Framework\TestCase;

/**
 * The module runs on PHP 7.2 to 8.3 (PrestaShop 1.7.8 to 9), and the tests run on one PHP only: every
 * file of the module is read with nikic/php-parser (Debian's php-parser, which phpunit depends on)
 * and refused if it uses syntax or functions newer than PHP 7.2.
 */
final class Php72CompatibilityTest extends TestCase
{
    const PARSER = '/usr/share/php/PhpParser/autoload.php';
    /** Functions and constants PHP 7.2 lacks (7.3, 7.4, 8.x). */
    const NEWER_FUNCTIONS = ['str_contains', 'str_starts_with', 'str_ends_with', 'array_is_list', 'get_debug_type', 'fdiv',
        'get_resource_id', 'is_countable', 'array_key_first', 'array_key_last', 'hrtime', 'mb_str_split', 'net_get_interfaces'];
    const NEWER_CONSTANTS = ['JSON_THROW_ON_ERROR'];
    /** Type names PHP 7.2 does not know as types. */
    const NEWER_TYPES = ['mixed', 'static', 'never', 'false', 'null', 'true'];

    public function moduleFiles(): array
    {
        $files = [];
        $folder = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(dirname(__DIR__) . '/prestashopinfor', FilesystemIterator::SKIP_DOTS));
        foreach ($folder as $file) {
            if ($file->getExtension() === 'php') {
                $files[substr($file->getPathname(), strlen(dirname(__DIR__)) + 1)] = [$file->getPathname()];
            }
        }
        ksort($files);

        return $files;
    }

    /** @dataProvider moduleFiles */
    public function testTheFileUsesNothingNewerThanPhp72(string $path)
    {
        if (!is_file(self::PARSER)) {
            $this->fail('nikic/php-parser is missing: on Debian, apt-get install php-parser (phpunit depends on it)');
        }
        require_once self::PARSER;
        $code = file_get_contents($path);
        $problems = array_merge(self::tokenProblems($code), self::syntaxProblems($code));
        $this->assertSame([], $problems);
    }

    /** What shows in the tokens: trailing commas in calls or parameter lists (7.3, 8.0), 1_000 (7.4). */
    private static function tokenProblems(string $code): array
    {
        $problems = [];
        $previous = null;
        foreach (token_get_all($code) as $token) {
            if (is_array($token) && in_array($token[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)) {
                continue;
            }
            if ($token === ')' && $previous === ',') {
                $problems[] = 'a trailing comma before ")" (PHP 7.3+)';
            }
            if (is_array($token) && in_array($token[0], [T_LNUMBER, T_DNUMBER], true) && strpos($token[1], '_') !== false) {
                $problems[] = 'numeric literal separator (PHP 7.4+) at line ' . $token[2];
            }
            $previous = is_array($token) ? $token[1] : $token;
        }

        return $problems;
    }

    private static function syntaxProblems(string $code): array
    {
        $parser = (new ParserFactory())->create(ParserFactory::PREFER_PHP7);
        $nodes = $parser->parse($code);
        $problems = [];
        $newer = [
            Node\Expr\Match_::class => 'match (PHP 8.0)',
            Node\Stmt\Enum_::class => 'enum (PHP 8.1)',
            Node\Expr\NullsafeMethodCall::class => '?-> (PHP 8.0)',
            Node\Expr\NullsafePropertyFetch::class => '?-> (PHP 8.0)',
            Node\Expr\ArrowFunction::class => 'fn () => (PHP 7.4)',
            Node\Expr\AssignOp\Coalesce::class => '??= (PHP 7.4)',
            Node\Expr\Throw_::class => 'throw as an expression (PHP 8.0)',
            Node\UnionType::class => 'union type (PHP 8.0)',
            Node\IntersectionType::class => 'intersection type (PHP 8.1)',
            Node\AttributeGroup::class => 'attribute (PHP 8.0)',
            Node\VariadicPlaceholder::class => 'first-class callable (PHP 8.1)',
        ];
        foreach ((new NodeFinder())->find($nodes, function () {
            return true;
        }) as $node) {
            $line = ' at line ' . $node->getStartLine();
            foreach ($newer as $class => $what) {
                if ($node instanceof $class) {
                    $problems[] = $what . $line;
                }
            }
            if ($node instanceof Node\Stmt\Property && ($node->type !== null || $node->flags & Node\Stmt\Class_::MODIFIER_READONLY)) {
                $problems[] = 'typed or readonly property (PHP 7.4+)' . $line;
            }
            if ($node instanceof Node\Stmt\Class_ && $node->flags & Node\Stmt\Class_::MODIFIER_READONLY) {
                $problems[] = 'readonly class (PHP 8.2)' . $line;
            }
            if ($node instanceof Node\Param && ($node->flags !== 0)) {
                $problems[] = 'constructor property promotion (PHP 8.0)' . $line;
            }
            if ($node instanceof Node\Param && $node->default instanceof Node\Expr\New_) {
                $problems[] = 'new in an initializer (PHP 8.1)' . $line;
            }
            if ($node instanceof Node\Arg && $node->name !== null) {
                $problems[] = 'named argument (PHP 8.0)' . $line;
            }
            if ($node instanceof Node\Stmt\Catch_ && $node->var === null) {
                $problems[] = 'catch without a variable (PHP 8.0)' . $line;
            }
            if ($node instanceof Node\Expr\ClassConstFetch && !$node->class instanceof Node\Name) {
                $problems[] = '$object::class (PHP 8.0)' . $line;
            }
            if ($node instanceof Node\FunctionLike) {
                $types = [$node->getReturnType()];
                foreach ($node->getParams() as $param) {
                    $types[] = $param->type;
                }
                foreach ($types as $type) {
                    $name = $type instanceof Node\NullableType ? $type->type : $type;
                    if (($name instanceof Node\Identifier || $name instanceof Node\Name)
                        && in_array(strtolower($name->toString()), self::NEWER_TYPES, true)) {
                        $problems[] = 'type ' . $name->toString() . ' (PHP 8.0+)' . $line;
                    }
                }
            }
            if ($node instanceof Node\Expr\FuncCall && $node->name instanceof Node\Name
                && in_array(strtolower($node->name->getLast()), self::NEWER_FUNCTIONS, true)) {
                $problems[] = $node->name->getLast() . '() (newer than PHP 7.2)' . $line;
            }
            if ($node instanceof Node\Expr\ConstFetch && in_array($node->name->getLast(), self::NEWER_CONSTANTS, true)) {
                $problems[] = $node->name->getLast() . ' (PHP 7.3)' . $line;
            }
        }

        return $problems;
    }

    /** The check itself: each rule catches what it is for. */
    public function testTheCheckFindsNewerSyntax()
    {
        if (!is_file(self::PARSER)) {
            $this->fail('nikic/php-parser is missing: on Debian, apt-get install php-parser (phpunit depends on it)');
        }
        require_once self::PARSER;
        $newer = [
            '<?php $a = match (1) { 1 => 2 };',
            '<?php $a = $b?->c;',
            '<?php $f = fn ($x) => $x;',
            '<?php $a ??= 1;',
            '<?php class A { public int $b; }',
            '<?php class A { public function __construct(private $b) {} }',
            '<?php f(a: 1);',
            '<?php if (str_contains($a, "b")) {}',
            '<?php function f(): static {}',
            '<?php function f(int|string $a) {}',
            '<?php try {} catch (Exception) {}',
            '<?php enum A {}',
        ];
        foreach ($newer as $code) {
            $this->assertNotSame([], self::syntaxProblems($code), $code);
        }
        $this->assertNotSame([], self::tokenProblems('<?php f(1, 2,);'));
        $this->assertNotSame([], self::tokenProblems('<?php $a = 1_000;'));
        $this->assertSame([], self::syntaxProblems('<?php function f(?int $a = null): void { $b = $a ?? [1, 2,]; list($c, $d) = [1, 2]; }'));
        $this->assertSame([], self::tokenProblems('<?php $b = [1, 2,];'));
    }
}
